import type { Reservation } from "../budget/types.js";
import { findNetwork } from "../chains/index.js";
import type { ChainSigner, PreparedPayment, SignedPayment } from "../chains/types.js";
import { CodedError, ErrorCode, isCodedError } from "../errors.js";
import { formatDecimal, formatUsd } from "../money.js";
import { requireApproval, type Approver } from "../policy/approval.js";
import type { Runtime } from "../runtime.js";
import type { PayableOption } from "../x402/select.js";
import { newPaymentId, offersPaymentIdentifier, withPaymentId } from "../x402/paymentIdentifier.js";
import type { PaymentRequired } from "../x402/types.js";
import { assertTokenDecimals } from "./assertTokenDecimals.js";
import { capsFor } from "./capsFor.js";
import { commitOutcome } from "./commitOutcome.js";
import { buildReceipt } from "./receipt.js";

/** Time between the person's answer and the signature, on top of the approval timeout. */
const APPROVAL_MARGIN_MS = 30_000;

export interface Authorization {
  reservation: Reservation;
  signed: SignedPayment;
}

export interface AuthorizeOptions {
  maxPayment: bigint | undefined;
  approve: Approver | undefined;
  signal: AbortSignal | undefined;
}

/**
 * The only way to a signature: reserve under every cap, check funds and what the scheme
 * needs on-chain (Permit2: the allowance), ask the person when the amount calls for it,
 * fix the terms of exactly the reserved option, then record them
 * in the ledger while the key signs them; the signature is returned only once the record
 * is durable. Recording checks the caps again (others may have spent while the person was
 * asked): over one, the store gives the amount back and its refusal is thrown, and the
 * signature made meanwhile is dropped. Anything that fails before the terms are recorded
 * releases the reservation; once recorded, it counts for good.
 */
export async function authorizePayment(
  rt: Runtime,
  account: ChainSigner,
  chosen: PayableOption,
  required: PaymentRequired,
  url: string,
  options: AuthorizeOptions,
): Promise<Authorization> {
  // The balance read (when no recent reading covers the price) runs while the reservation is taken.
  const funds = assertSufficientFunds(rt, account, chosen, url);
  funds.catch(() => undefined);
  const schemeReads = schemePreflight(rt, account, chosen, required);
  schemeReads.catch(() => undefined);
  const decimals = assertTokenDecimals(rt, chosen.asset);
  decimals.catch(() => undefined);
  const { approvalAbove } = rt;
  const asksPerson = approvalAbove !== null && chosen.usdMicros > approvalAbove;
  const reservation = await rt.budget.reserve({
    sessionId: rt.sessionId,
    usdMicros: chosen.usdMicros,
    ...capsFor(rt, chosen, url, options.maxPayment),
    // The person may take the whole approval timeout: a shared store must not reclaim the
    // reservation meanwhile, or the approved payment would be refused at signing.
    ...(asksPerson ? { holdMs: rt.config.approval.timeoutMs + APPROVAL_MARGIN_MS } : {}),
  });
  let prepared: PreparedPayment;
  try {
    await funds;
    const preflight = await schemeReads;
    await decimals;
    if (asksPerson) {
      await requireApproval(options.approve, approvalRequest(chosen, url), formatUsd(approvalAbove), options.signal);
    }
    // A cancelled call releases its reservation as long as nothing was recorded as signed.
    if (options.signal?.aborted) {
      throw new CodedError(ErrorCode.HTTP_ERROR, `The request to ${url} was cancelled before payment; nothing was paid.`, { reason: "aborted" });
    }
    prepared = prepare(account, chosen, required, url, preflight);
  } catch (error) {
    await rt.budget.release(reservation);
    throw error;
  }
  // A server offering payment-identifier gets a fresh id with the payment, on record with the
  // signature: a lost answer can then be asked for again with the same header (sendPaid).
  const paymentId = required.x402Version === 2 && offersPaymentIdentifier(required.extensions) ? newPaymentId() : undefined;
  // Side by side: the ledger's disk sync runs in libuv's pool (or the Redis round trip is
  // on the wire) while the key signs. Neither result is used until both have settled.
  const recorded = rt.budget.recordSigned(reservation, {
    payer: prepared.payer,
    validBefore: prepared.validBefore,
    nonce: prepared.nonce,
    ...(prepared.lastValidBlockHeight !== undefined ? { lastValidBlockHeight: prepared.lastValidBlockHeight.toString() } : {}),
    ...(paymentId ? { paymentId } : {}),
  });
  const [record, signing] = await Promise.allSettled([recorded, sign(prepared, url)]);
  if (record.status === "rejected") throw record.reason;
  if (signing.status === "rejected") {
    const note = "signing failed after the terms were recorded; nothing left this process";
    const receipt = buildReceipt({ option: chosen.option, asset: chosen.asset, payer: prepared.payer, url, transaction: null, status: "unconfirmed", note });
    await commitOutcome(rt, reservation, { status: "unconfirmed", receipt });
    throw signing.reason;
  }
  rt.balances.spend(chosen.asset, account.address, chosen.option.amount);
  return { reservation, signed: withIdentity(signing.value, paymentId, prepared.lastValidBlockHeight) };
}

/**
 * The signed payment with its payment-identifier id in the payload's extensions (outside
 * what the key signed, as the spec has it) and the Solana expiry a resend is checked against.
 */
function withIdentity(signed: SignedPayment, paymentId: string | undefined, lastValidBlockHeight: bigint | undefined): SignedPayment {
  const extensions = signed.payload.extensions as Record<string, unknown> | undefined;
  // Every v2 scheme echoes the 402's extensions; one that did not would send no id, and so never be resent.
  const payload = paymentId && offersPaymentIdentifier(extensions) ? { ...signed.payload, extensions: withPaymentId(extensions, paymentId) } : signed.payload;
  return { ...signed, payload, ...(lastValidBlockHeight !== undefined ? { lastValidBlockHeight } : {}) };
}

function prepare(account: ChainSigner, chosen: PayableOption, required: PaymentRequired, url: string, preflight: unknown): PreparedPayment {
  try {
    return chosen.scheme.prepare({ account, option: chosen.option, asset: chosen.asset, required, preflight });
  } catch (error) {
    throw new CodedError(ErrorCode.SIGNING_FAILED, `Could not prepare the payment for ${url}: ${(error as Error).message}. Nothing was paid.`);
  }
}

async function sign(prepared: PreparedPayment, url: string): Promise<SignedPayment> {
  // One turn of the event loop first, so the ledger record usually reaches its disk sync
  // before the signing (synchronous CPU work) holds the thread. Only timing depends on it.
  await new Promise((resolve) => setImmediate(resolve));
  try {
    return await prepared.sign();
  } catch (error) {
    throw new CodedError(
      ErrorCode.SIGNING_FAILED,
      `Could not sign the payment for ${url}: ${(error as Error).message}. Nothing was paid; the amount stays counted in today's budget, as its terms were already on record.`,
    );
  }
}

function approvalRequest(chosen: PayableOption, url: string) {
  return {
    url,
    amount: formatDecimal(chosen.option.amount, chosen.asset.decimals),
    symbol: chosen.asset.symbol,
    usd: formatUsd(chosen.usdMicros),
    payTo: chosen.option.payTo,
    network: findNetwork(chosen.option.network)?.displayName ?? chosen.option.network,
    networkId: chosen.option.network,
    asset: chosen.asset.address,
    description: chosen.option.description,
  };
}

/**
 * The scheme's own chain read before signing (Permit2: the allowance), resolving to what the
 * signature needs from it; like the balance check, an RPC failure blocks nothing.
 */
async function schemePreflight(rt: Runtime, account: ChainSigner, chosen: PayableOption, required: PaymentRequired): Promise<unknown> {
  if (!chosen.scheme.preflight) return undefined;
  try {
    return await chosen.scheme.preflight(rt.chain, { account, option: chosen.option, asset: chosen.asset, required });
  } catch (error) {
    if (isCodedError(error)) throw error;
    rt.logger.log("warning", `could not check ${chosen.scheme.label}'s preconditions on ${chosen.asset.network}: ${(error as Error).message.split("\n")[0]}`);
    return undefined;
  }
}

async function assertSufficientFunds(rt: Runtime, account: ChainSigner, chosen: PayableOption, url: string): Promise<void> {
  if (rt.balances.covers(chosen.asset, account.address, chosen.option.amount)) return;
  let balance: bigint;
  try {
    balance = await rt.chain.readBalance(chosen.asset, account.address);
  } catch (error) {
    // The balance check spares a doomed signature; it is not a safety check, so an RPC outage does not block paying.
    rt.logger.log("warning", `could not read the ${chosen.asset.symbol} balance on ${chosen.asset.network}: ${(error as Error).message.split("\n")[0]}`);
    return;
  }
  rt.balances.record(chosen.asset, account.address, balance);
  if (balance >= chosen.option.amount) return;
  const network = findNetwork(chosen.option.network)?.displayName ?? chosen.option.network;
  const have = formatDecimal(balance, chosen.asset.decimals);
  const need = formatDecimal(chosen.option.amount, chosen.asset.decimals);
  throw new CodedError(
    ErrorCode.INSUFFICIENT_FUNDS,
    `${url} costs ${need} ${chosen.asset.symbol} on ${network}, but the wallet ${account.address} holds ${have} ${chosen.asset.symbol} there. Send ${chosen.asset.symbol} on ${network} to that address, then try again. Nothing was paid.`,
    { balance: have, price: need, address: account.address, network: chosen.option.network },
  );
}
