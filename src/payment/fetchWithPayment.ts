import type { Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import type { PaymentOutcome, Reservation } from "../budget/types.js";
import { findNetwork } from "../chain/networks.js";
import { readTokenBalance } from "../chain/readTokenBalance.js";
import { verifySettlementOnChain } from "../chain/verifySettlementOnChain.js";
import { PayOnceCache } from "../content/payOnceCache.js";
import { CodedError, ErrorCode, isCodedError } from "../errors.js";
import type { HttpRequest, HttpResponse } from "../http/types.js";
import { formatDecimal, formatUsd } from "../money.js";
import { requireApproval, type Approver } from "../policy/approval.js";
import { assertHostAllowed } from "../policy/hosts.js";
import type { Runtime } from "../runtime.js";
import type { SignedPayment } from "../schemes/types.js";
import { NO_WALLET_HINT } from "../wallet/loadWallet.js";
import { encodeJsonHeader, paymentHeaderName } from "../x402/headers.js";
import { parsePaymentRequired } from "../x402/parsePaymentRequired.js";
import { parseSettlement } from "../x402/parseSettlement.js";
import { selectPaymentOption, type PayableOption } from "../x402/select.js";
import type { PaymentRequired } from "../x402/types.js";
import { buildReceipt, type Receipt } from "./receipt.js";
import { capsFor, selectionPolicy } from "./capsFor.js";

export interface PaidFetchRequest extends HttpRequest {
  /** A lower per-call cap for this call only, in USD micros. */
  maxPayment?: bigint | undefined;
}

export interface PaidFetchOutcome {
  response: HttpResponse;
  payment: Receipt | null;
  /** Served from the pay-once cache: `payment` is the original receipt, nothing was paid now. */
  cached: boolean;
}

export interface PaidFetchOptions {
  signal?: AbortSignal | undefined;
  /** Asks the person when a payment is above `approval.above`. */
  approve?: Approver | undefined;
  /** Told each step of a long call, for MCP progress notifications. */
  onProgress?: ((message: string) => void) | undefined;
}

/**
 * One paid request, in a straight line: host policy → probe → parse the 402 → choose →
 * reserve under every cap → funds and approval → sign → ledger → one paid retry →
 * settlement → on-chain check → commit. At most one signature per call: a second 402
 * after paying is reported, never paid again. Every reservation ends in commit
 * (something was signed) or release (nothing was).
 */
export async function fetchWithPayment(rt: Runtime, request: PaidFetchRequest, options: PaidFetchOptions = {}): Promise<PaidFetchOutcome> {
  assertHostAllowed(new URL(request.url), rt.config.hosts);
  const cacheKey = payOnceKey(request);
  const cached = rt.payOnce.get(cacheKey);
  if (cached) return { ...cached, cached: true };
  const progress = options.onProgress ?? (() => undefined);
  progress(`requesting ${request.url}`);
  const probe = await rt.http.send(request, { followRedirects: true, signal: options.signal });
  if (probe.status !== 402) return { response: probe, payment: null, cached: false };

  const payUrl = probe.url;
  const required = parsePaymentRequired({ url: payUrl, header: probe.header, bodyText: probe.body.toString("utf8") });
  const account = requireWallet(rt, payUrl);
  const chosen = selectPaymentOption(required, selectionPolicy(rt), payUrl);
  progress(`payment required: ${formatDecimal(chosen.option.amount, chosen.asset.decimals)} ${chosen.asset.symbol} on ${chosen.option.network}`);
  const reservation = await reserveFor(rt, chosen, payUrl, request.maxPayment);
  let signed: SignedPayment;
  try {
    await assertSufficientFunds(rt, account, chosen, payUrl);
    if (rt.approvalAbove !== null && chosen.usdMicros > rt.approvalAbove) {
      await requireApproval(options.approve, approvalRequest(chosen, payUrl), formatUsd(rt.approvalAbove), options.signal);
    }
    signed = await sign(account, chosen, required, payUrl);
    // A cancelled call releases its reservation as long as the signature never left the process.
    if (options.signal?.aborted) {
      throw new CodedError(ErrorCode.HTTP_ERROR, `The request to ${payUrl} was cancelled before payment; nothing was paid.`, { reason: "aborted" });
    }
  } catch (error) {
    await rt.budget.release(reservation);
    throw error;
  }
  // The signature exists from here on: it is written down before it leaves the process,
  // and whatever happens next the reservation is committed, never released.
  await rt.budget.recordSigned(reservation, { payer: signed.payer, validBefore: signed.validBefore, nonce: signed.nonce });
  progress("payment signed; sending the paid request");
  const outcome = await sendPaid(rt, { ...request, url: payUrl }, chosen, signed, reservation, options.signal);
  if (outcome.response.status >= 200 && outcome.response.status < 300) {
    rt.payOnce.set(cacheKey, outcome, outcome.response.body.length);
  }
  return { ...outcome, cached: false };
}

/** Requests that differ in method, URL, body or headers are different purchases. */
function payOnceKey(request: HttpRequest): string {
  const headers = Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]).sort();
  return PayOnceCache.key(request.method, request.url, JSON.stringify([request.body ?? null, headers]));
}

function reserveFor(rt: Runtime, chosen: PayableOption, url: string, maxPayment: bigint | undefined): Promise<Reservation> {
  return rt.budget.reserve({ sessionId: rt.sessionId, usdMicros: chosen.usdMicros, ...capsFor(rt, chosen, url, maxPayment) });
}

async function sign(account: PrivateKeyAccount, chosen: PayableOption, required: PaymentRequired, url: string): Promise<SignedPayment> {
  try {
    return await chosen.scheme.sign({ account, option: chosen.option, asset: chosen.asset, required });
  } catch (error) {
    throw new CodedError(ErrorCode.SIGNING_FAILED, `Could not sign the payment for ${url}: ${(error as Error).message}. Nothing was paid.`);
  }
}

async function sendPaid(
  rt: Runtime,
  request: HttpRequest,
  chosen: PayableOption,
  signed: SignedPayment,
  reservation: Reservation,
  signal: AbortSignal | undefined,
): Promise<Omit<PaidFetchOutcome, "cached">> {
  const describe = `${formatDecimal(chosen.option.amount, chosen.asset.decimals)} ${chosen.asset.symbol}`;
  const receiptFor = (transaction: string | null, status: Receipt["status"], note?: string) =>
    buildReceipt({ option: chosen.option, asset: chosen.asset, payer: signed.payer, url: request.url, transaction, status, note });

  let paid: HttpResponse;
  try {
    paid = await rt.http.send(
      { ...request, headers: { ...request.headers, [paymentHeaderName(chosen.option.x402Version)]: encodeJsonHeader(signed.payload) } },
      { followRedirects: false, signal },
    );
  } catch (error) {
    const reason = isCodedError(error) ? error.message : String(error);
    await commit(rt, reservation, { status: "unconfirmed", receipt: receiptFor(null, "unconfirmed", `the paid request failed: ${reason}`) });
    throw new CodedError(
      ErrorCode.HTTP_ERROR,
      `A payment of ${describe} for ${request.url} was signed, but the paid request failed: ${reason} The payment may still settle; it counts against the budget. Check wallet_balance before retrying.`,
      { url: request.url },
    );
  }

  if (paid.status === 402) {
    const reason = rejectionReason(paid);
    await commit(rt, reservation, { status: "rejected", reason, receipt: receiptFor(null, "rejected", `server's reason: ${reason}`) });
    rt.logger.log("warning", `payment of ${describe} for ${request.url} was rejected: ${reason}`);
    throw new CodedError(
      ErrorCode.PAYMENT_REJECTED,
      `${request.url} asked for payment again after a payment of ${describe} was sent (server's reason: ${reason}). It was not paid a second time. The signed authorization counts against the budget until it expires; check wallet_balance, and do not retry this URL blindly.`,
      { url: request.url, reason },
    );
  }

  const receipt = await settle(rt, paid, chosen, signed, receiptFor);
  await commit(rt, reservation, { status: receipt.status as "settled", receipt });
  rt.logger.log(
    receipt.status === "mismatch" ? "warning" : "info",
    `paid ${describe} to ${receipt.payTo} on ${receipt.network} for ${request.url} (${receipt.status}${receipt.transaction ? ` ${receipt.transaction}` : ""}${receipt.note ? `: ${receipt.note}` : ""})`,
  );
  return { response: paid, payment: receipt };
}

/** The receipt after a paid answer: what the server reports, checked on-chain when enabled. */
async function settle(
  rt: Runtime,
  paid: HttpResponse,
  chosen: PayableOption,
  signed: SignedPayment,
  receiptFor: (transaction: string | null, status: Receipt["status"], note?: string) => Receipt,
): Promise<Receipt> {
  const settlement = parseSettlement(chosen.option.x402Version, paid.header);
  if (settlement.kind !== "settled") {
    const note = settlement.kind === "missing" ? "the server sent no settlement header" : settlement.reason;
    return receiptFor(null, "unconfirmed", note);
  }
  if (!rt.config.verifySettlement) return receiptFor(settlement.transaction, "settled");
  const verification = await verifySettlementOnChain(
    rt.chain,
    {
      network: chosen.option.network,
      transaction: settlement.transaction as Hex,
      asset: chosen.asset.address,
      from: signed.payer,
      to: chosen.option.payTo,
      amount: chosen.option.amount,
    },
    rt.config.verifyTimeoutMs,
  );
  if (verification.status === "verified") return receiptFor(settlement.transaction, "verified");
  if (verification.status === "mismatch") return receiptFor(settlement.transaction, "mismatch", verification.detail);
  if (verification.status === "unknown") return receiptFor(settlement.transaction, "unconfirmed", verification.detail);
  return receiptFor(settlement.transaction, "settled", verification.detail);
}

async function commit(rt: Runtime, reservation: Reservation, outcome: PaymentOutcome): Promise<void> {
  try {
    await rt.budget.commit(reservation, outcome);
  } catch (error) {
    // The amount stays counted as spent (the reservation holds it); losing the outcome is only a bookkeeping gap.
    rt.logger.log("error", `could not record a payment outcome: ${(error as Error).message}`);
  }
}

function requireWallet(rt: Runtime, url: string): PrivateKeyAccount {
  if (rt.account) return rt.account;
  throw new CodedError(ErrorCode.NO_WALLET, `${url} requires payment, but no wallet key is configured. ${NO_WALLET_HINT}`);
}

function approvalRequest(chosen: PayableOption, url: string) {
  return {
    url,
    amount: formatDecimal(chosen.option.amount, chosen.asset.decimals),
    symbol: chosen.asset.symbol,
    usd: formatUsd(chosen.usdMicros),
    payTo: chosen.option.payTo,
    network: findNetwork(chosen.option.network)?.displayName ?? chosen.option.network,
    description: chosen.option.description,
  };
}

async function assertSufficientFunds(rt: Runtime, account: PrivateKeyAccount, chosen: PayableOption, url: string): Promise<void> {
  let balance: bigint;
  try {
    balance = await readTokenBalance(rt.chain, chosen.asset, account.address);
  } catch (error) {
    // The balance check spares a doomed signature; it is not a safety check, so an RPC outage does not block paying.
    rt.logger.log("warning", `could not read the ${chosen.asset.symbol} balance on ${chosen.asset.network}: ${(error as Error).message.split("\n")[0]}`);
    return;
  }
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

function rejectionReason(response: HttpResponse): string {
  try {
    const again = parsePaymentRequired({ url: response.url, header: response.header, bodyText: response.body.toString("utf8") });
    if (again.error) return again.error;
  } catch {
    // A garbled second 402 still means "rejected"; fall back to the body.
  }
  const text = response.body.toString("utf8").trim().slice(0, 300);
  return text || "none given";
}
