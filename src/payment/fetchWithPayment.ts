import type { ChainSigner } from "../chains/types.js";
import { PayOnceCache } from "../content/payOnceCache.js";
import { CodedError, ErrorCode } from "../errors.js";
import type { HttpRequest, HttpResponse } from "../http/types.js";
import { formatDecimal } from "../money.js";
import type { Approver } from "../policy/approval.js";
import { assertHostAllowed } from "../policy/hosts.js";
import { signerFor, type Runtime } from "../runtime.js";
import { NO_WALLET_HINT } from "../wallet/loadWallet.js";
import { SIGN_IN_WITH_X } from "../x402/extensions/siwx/parseChallenge.js";
import { parsePaymentRequired } from "../x402/parsePaymentRequired.js";
import { selectPaymentOption, type PayableOption } from "../x402/select.js";
import type { PaymentRequired } from "../x402/types.js";
import { authorizePayment } from "./authorizePayment.js";
import { selectionPolicy } from "./capsFor.js";
import type { KnownPrice } from "./knownPrices.js";
import type { Receipt } from "./receipt.js";
import { describeSigned, sendPaid } from "./sendPaid.js";
import { signInWithX, type SignIn } from "./signInWithX.js";

export interface PaidFetchRequest extends HttpRequest {
  /** A lower per-call cap for this call only, in USD micros. */
  maxPayment?: bigint | undefined;
}

export interface PaidFetchOutcome {
  response: HttpResponse;
  payment: Receipt | null;
  /** Served from the pay-once cache: `payment` is the original receipt, nothing was paid now. */
  cached: boolean;
  /** Signed in with sign-in-with-x instead of paying (`payment` is null): who, and the earlier payment. */
  signIn?: SignIn | undefined;
}

export interface PaidFetchOptions {
  signal?: AbortSignal | undefined;
  /** Asks the person when a payment is above `approval.above`. */
  approve?: Approver | undefined;
  /** Told each step of a long call, for MCP progress notifications. */
  onProgress?: ((message: string) => void) | undefined;
}

/**
 * One paid request, in a straight line: host policy → probe → parse the 402 → sign in
 * instead, when the server offers it and this wallet paid for the resource before → choose →
 * authorize (every cap, funds, approval, signature, ledger) → one paid retry of exactly the
 * request the 402 answered → settlement → commit. A second 402 after paying is reported,
 * never paid again. With `fastPath`, a URL this owner paid recently at a known price is paid
 * on the first request instead; if the server answers that with a 402, the call pays again
 * only when the option signed is no longer offered (the price or payee changed), and both
 * signatures count as spent; otherwise it stops with PAYMENT_REJECTED.
 */
export async function fetchWithPayment(rt: Runtime, request: PaidFetchRequest, options: PaidFetchOptions = {}): Promise<PaidFetchOutcome> {
  assertHostAllowed(new URL(request.url), rt.config.hosts);
  // Paid answers and prices are the owner's: one agent never reads what another paid for.
  const owner = rt.agent?.name ?? null;
  const cacheKey = payOnceKey(owner, request);
  const cached = rt.payOnce.get(cacheKey);
  if (cached) return { ...cached, cached: true };
  const progress = options.onProgress ?? (() => undefined);

  const remembered = rt.config.fastPath && rt.signers.size > 0 ? rt.knownPrices.get(owner, request.method, request.url) : undefined;
  // A server that offers sign-in may let this wallet in for free: it gets the probe, not money up front.
  const known = remembered && !(rt.config.siwx.enabled && remembered.required.extensions?.[SIGN_IN_WITH_X] !== undefined) ? remembered : undefined;
  const knownSigner = known && signerFor(rt, known.chosen.option.network);
  let first: HttpResponse;
  let upFront: { chosen: PayableOption; refused: CodedError; signed: string } | undefined;
  if (known && knownSigner) {
    progress(`paying ${request.url} up front at its known price`);
    const fast = await payKnownPrice(rt, knownSigner, request, known, options);
    if (fast.kind === "paid") return remember(rt, cacheKey, fast);
    rt.knownPrices.forget(owner, request.method, request.url);
    first = fast.response;
    upFront = { chosen: known.chosen, refused: fast.error, signed: fast.signed };
  } else {
    progress(`requesting ${request.url}`);
    first = await rt.http.send(request, { followRedirects: true, signal: options.signal });
    if (first.status !== 402) return { response: first, payment: null, cached: false };
  }

  const payUrl = first.url;
  let required: PaymentRequired;
  try {
    required = parsePaymentRequired({ url: payUrl, header: first.header, bodyText: first.body.toString("utf8") });
  } catch (error) {
    // After an up-front payment, what was signed matters more than why the new 402 is unreadable.
    throw upFront?.refused ?? error;
  }
  if (upFront && stillOffered(required, upFront.chosen)) throw upFront.refused;
  requireWallet(rt, payUrl);
  // After an up-front payment the 402 answered a payment, not a request to sign in.
  if (!upFront) {
    const signedIn = await signInWithX(rt, first, required, options.signal);
    if (signedIn) return { response: signedIn.response, payment: null, cached: false, signIn: signedIn.signIn };
  }
  const chosen = selectPaymentOption(required, selectionPolicy(rt), payUrl);
  // The selection refuses every option whose family has no key, so the chosen one has its signer.
  const account = signerFor(rt, chosen.option.network)!;
  progress(`payment required: ${formatDecimal(chosen.option.amount, chosen.asset.decimals)} ${chosen.asset.symbol} on ${chosen.option.network}`);
  const authorization = await authorizePayment(rt, account, chosen, required, payUrl, {
    maxPayment: request.maxPayment,
    approve: options.approve,
    signal: options.signal,
  });
  progress("payment signed; sending the paid request");
  const sent = await sendPaid(rt, first.request, chosen, authorization.signed, authorization.reservation, options.signal, progress);
  if (sent.kind === "asked-again") {
    if (!upFront) throw sent.error;
    throw new CodedError(
      ErrorCode.PAYMENT_REJECTED,
      `${sent.error.message} Before it, at the price known from an earlier call, ${upFront.signed} was signed and refused; it counts as well.`,
      sent.error.details,
    );
  }
  // Only the fast path reads them, and only for the request as asked: after a redirect the paid request differs from it.
  if (rt.config.fastPath && payUrl === request.url && first.request.method === request.method) {
    rt.knownPrices.remember(owner, request.method, request.url, chosen, required);
  }
  return remember(rt, cacheKey, sent);
}

/** The fast path: sign the known price and send it with the first request (one round trip). */
async function payKnownPrice(
  rt: Runtime,
  account: ChainSigner,
  request: PaidFetchRequest,
  known: KnownPrice,
  options: PaidFetchOptions,
) {
  const authorization = await authorizePayment(rt, account, known.chosen, known.required, request.url, {
    maxPayment: request.maxPayment,
    approve: options.approve,
    signal: options.signal,
  });
  const sent = await sendPaid(rt, request, known.chosen, authorization.signed, authorization.reservation, options.signal, options.onProgress);
  return { ...sent, signed: describeSigned(known.chosen, authorization.signed) };
}

/**
 * The server still offers what was signed up front (same scheme, network, token, amount and
 * payee): its 402 refused a payment on its own terms, and a second signature would only add
 * a second authorization it could settle.
 */
function stillOffered(required: PaymentRequired, signed: PayableOption): boolean {
  const a = signed.option;
  return required.options.some(
    (b) => b.scheme === a.scheme && b.network === a.network && b.amount === a.amount && sameAddress(b.asset, a.asset) && sameAddress(b.payTo, a.payTo),
  );
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function remember(rt: Runtime, cacheKey: string, sent: { response: HttpResponse; payment: Receipt }): PaidFetchOutcome {
  const outcome = { response: sent.response, payment: sent.payment };
  if (sent.response.status >= 200 && sent.response.status < 300) rt.payOnce.set(cacheKey, outcome, sent.response.body.length);
  return { ...outcome, cached: false };
}

/** Requests that differ in owner, method, URL, body or headers are different purchases. */
function payOnceKey(owner: string | null, request: HttpRequest): string {
  const headers = Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]).sort();
  return PayOnceCache.key(request.method, request.url, JSON.stringify([owner, request.body ?? null, headers]));
}

function requireWallet(rt: Runtime, url: string): void {
  if (rt.signers.size > 0) return;
  throw new CodedError(ErrorCode.NO_WALLET, `${url} requires payment, but no wallet key is configured. ${NO_WALLET_HINT}`);
}
