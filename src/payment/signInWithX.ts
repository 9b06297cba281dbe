import type { HistoryEntry } from "../budget/types.js";
import { familyOf } from "../chains/index.js";
import type { ChainSigner } from "../chains/types.js";
import type { HttpResponse } from "../http/types.js";
import { signerFor, type Runtime } from "../runtime.js";
import { buildSignInMessage } from "../x402/extensions/siwx/buildMessage.js";
import { encodeSignInHeader } from "../x402/extensions/siwx/encodeHeader.js";
import { parseChallenge, SIGN_IN_WITH_X_HEADER, type SignInChallenge } from "../x402/extensions/siwx/parseChallenge.js";
import { sameResource } from "../x402/extensions/siwx/sameResource.js";
import { challengeRefusal } from "../x402/extensions/siwx/validateChallenge.js";
import type { PaymentRequired } from "../x402/types.js";

/** Who signed in, and the earlier payment that bought the resource. */
export interface SignIn {
  address: string;
  /** CAIP-2 chain of the signature, from the server's `supportedChains`. */
  chainId: string;
  /** The earlier payment's transaction, from its receipt. */
  transaction: string | null;
}

const DAY_MS = 86_400_000;

/**
 * Before paying: when the 402 offers sign-in-with-x and this wallet's ledger holds a settled
 * payment for this resource within `siwx.rememberDays`, signs the server's challenge and
 * repeats the request once with the proof. A 2xx is the resource, paid for before; anything
 * else (another 402 above all) returns null and the call pays as it would have. A challenge
 * that may not be signed is logged with why, and null returned. Only the keys configured for
 * payment sign, on the owner's networks, and only a challenge naming the requested site.
 */
export async function signInWithX(
  rt: Runtime,
  answered: HttpResponse,
  required: PaymentRequired,
  signal: AbortSignal | undefined,
): Promise<{ response: HttpResponse; signIn: SignIn } | null> {
  if (!rt.config.siwx.enabled) return null;
  const parsed = parseChallenge(required);
  if (parsed.kind === "absent") return null;
  const url = answered.url;
  const decline = (why: string) => {
    rt.logger.log("warning", `sign-in-with-x: not signing the challenge of ${url}: ${why}. Paying as usual if the caps allow.`);
    return null;
  };
  if (parsed.kind === "malformed") return decline(parsed.reason);
  const { challenge } = parsed;

  let earlier: HistoryEntry[];
  try {
    earlier = await paidBefore(rt, url, challenge);
  } catch (error) {
    return decline(`the ledger could not be read (${(error as Error).message})`);
  }
  // Nothing to prove: the usual 402 path, without a word.
  if (earlier.length === 0) return null;
  const refusal = challengeRefusal(challenge.info, url, Date.now());
  if (refusal) return decline(refusal);
  const pick = chooseChain(rt, challenge, earlier);
  if ("refusal" in pick) return decline(pick.refusal);

  const { chainId, type, signer, payment } = pick;
  const message = buildSignInMessage(challenge.info, chainId, signer.address);
  if (message === undefined) return decline(`it names ${chainId}, a chain without a sign-in message format`);
  const signature = await familyOf(chainId)!.signIn.sign(signer, message);
  const header = encodeSignInHeader({ info: challenge.info, chainId, type, address: signer.address, signature });
  const request = answered.request;
  let response: HttpResponse;
  try {
    response = await rt.http.send(
      { ...request, headers: { ...withoutSignIn(request.headers), [SIGN_IN_WITH_X_HEADER]: header } },
      { followRedirects: false, signal },
    );
  } catch (error) {
    if (signal?.aborted) throw error;
    return decline(`the signed-in request failed (${(error as Error).message})`);
  }
  if (response.status < 200 || response.status >= 300) {
    rt.logger.log("info", `sign-in-with-x: ${url} answered HTTP ${response.status} to the sign-in as ${signer.address}; paying as usual if the caps allow.`);
    return null;
  }
  rt.logger.log("info", `sign-in-with-x: signed in to ${url} as ${signer.address} on ${chainId}; nothing paid.`);
  return { response, signIn: { address: signer.address, chainId, transaction: payment.receipt?.transaction ?? null } };
}

/**
 * How many of the host's latest payments are looked through for one to this resource: the
 * spending index answers these without reading the ledger's whole period (a full history
 * read of a large ledger took over a second, on the way to every payment this server asks
 * for). An older payment past them is not found, and the call pays as it would without sign-in.
 */
const PAYMENTS_LOOKED_AT = 500;

/** This owner's settled payments for the resource at `url` within `siwx.rememberDays`, newest first. */
async function paidBefore(rt: Runtime, url: string, challenge: SignInChallenge): Promise<HistoryEntry[]> {
  const { entries } = await rt.budget.spending({
    limit: PAYMENTS_LOOKED_AT,
    sinceMs: Date.now() - rt.config.siwx.rememberDays * DAY_MS,
    host: new URL(url).hostname,
    agent: rt.agent?.name,
  });
  return entries.filter(
    (e) => (e.status === "verified" || e.status === "settled") && e.receipt !== null && sameResource(e.meta.url, url, challenge.info.resources),
  );
}

/**
 * The first of the server's chains (the extension's rule) that is one of the owner's
 * networks, whose family holds a configured key signing the type the server names, and
 * whose address made one of the earlier payments.
 */
function chooseChain(
  rt: Runtime,
  challenge: SignInChallenge,
  earlier: HistoryEntry[],
): { chainId: string; type: string; signer: ChainSigner; payment: HistoryEntry } | { refusal: string } {
  const reasons: string[] = [];
  for (const { chainId, type } of challenge.supportedChains) {
    const family = familyOf(chainId);
    const signer = signerFor(rt, chainId);
    if (!rt.config.networks.includes(chainId) || !family) reasons.push(`${JSON.stringify(chainId)} is not one of the wallet's networks`);
    else if (!signer) reasons.push(`the wallet holds no key for ${chainId}`);
    else if (type !== family.signIn.type) reasons.push(`${chainId} with signature type ${JSON.stringify(type)}, where its key signs ${family.signIn.type}`);
    else {
      const payment = earlier.find((e) => family.canonicalAddress(e.receipt?.payer ?? "") === signer.address);
      if (payment) return { chainId, type, signer, payment };
      reasons.push(`the earlier payments were not made by ${signer.address}`);
    }
  }
  return { refusal: `none of its chains can be used (${reasons.join("; ")})` };
}

function withoutSignIn(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== SIGN_IN_WITH_X_HEADER.toLowerCase()));
}
