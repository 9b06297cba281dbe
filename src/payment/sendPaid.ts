import type { Reservation } from "../budget/types.js";
import { findNetwork } from "../chains/index.js";
import type { SignedPayment } from "../chains/types.js";
import { CodedError, ErrorCode, isCodedError } from "../errors.js";
import type { HttpRequest, HttpResponse } from "../http/types.js";
import { assetToUsdMicros, formatDecimal } from "../money.js";
import type { Runtime } from "../runtime.js";
import { encodeJsonHeader, paymentHeaderName, PAYMENT_REQUIRED_HEADER, PAYMENT_SIGNATURE_HEADER, X_PAYMENT_HEADER } from "../x402/headers.js";
import { parsePaymentRequired } from "../x402/parsePaymentRequired.js";
import { paymentIdOf } from "../x402/paymentIdentifier.js";
import { parseSettlement, type Settlement } from "../x402/parseSettlement.js";
import type { PayableOption } from "../x402/select.js";
import { commitOutcome } from "./commitOutcome.js";
import { buildReceipt, type Receipt } from "./receipt.js";

export type SendResult =
  | { kind: "paid"; response: HttpResponse; payment: Receipt }
  /** The server answered 402 again: the authorization is committed as rejected; never paid again here. */
  | { kind: "asked-again"; response: HttpResponse; error: CodedError };

/** A lost paid answer is asked for again this many times at most, after these waits. */
const MAX_RESENDS = 2;
const RESEND_BACKOFF_MS = [300, 1_000] as const;
/**
 * What a resend must leave of the authorization's life after its own wait and answer: a
 * facilitator refuses one about to expire (x402's EVM check wants 6 s left), and a Solana
 * blockhash's last blocks come at 400 ms or faster.
 */
const SETTLE_MARGIN_MS = 6_000;
const SOLANA_BLOCK_MS = 400;
const NOT_OFFERED = "not resent: the server does not offer payment-identifier, so a second send could be paid twice";

/**
 * Sends the request with the payment header, then records the outcome: the settlement the
 * server reports, checked on-chain when enabled. `request` is the request as it was
 * answered with the 402 (after any redirects), so the paid one differs from it only by the
 * payment. When the payment carries a payment-identifier id and its answer is lost (the
 * connection fails or times out, or a 5xx comes without a settlement header), the same
 * header is sent again, byte for byte, at most twice, while the authorization can still be
 * settled: a server that offers the extension answers it with what it answered before, never
 * a second payment. Nothing is ever signed again here. The reservation is always committed
 * here, whatever happens (the signature has left the process); after a paid answer, the
 * commit is written while the answer goes back.
 */
export async function sendPaid(
  rt: Runtime,
  request: HttpRequest,
  chosen: PayableOption,
  signed: SignedPayment,
  reservation: Reservation,
  signal: AbortSignal | undefined,
  onProgress: (message: string) => void = () => undefined,
): Promise<SendResult> {
  const describe = `${chosen.option.scheme === "upto" ? "up to " : ""}${formatDecimal(chosen.option.amount, chosen.asset.decimals)} ${chosen.asset.symbol}`;
  const paymentId = paymentIdOf(signed.payload);
  let resent = 0;
  const receiptFor: ReceiptFor = (transaction, status, note, taken) =>
    buildReceipt({
      option: chosen.option,
      asset: chosen.asset,
      payer: signed.payer,
      url: request.url,
      transaction,
      status,
      note: resent > 0 ? [note, `resent: ${resent} (the same payment header, payment-identifier ${paymentId})`].filter(Boolean).join("; ") : note,
      taken,
      paymentId,
      resent,
    });

  if (signal?.aborted) {
    await commitOutcome(rt, reservation, { status: "unconfirmed", receipt: receiptFor(null, "unconfirmed", "cancelled before the paid request was sent; the signature never left this process") });
    throw new CodedError(
      ErrorCode.HTTP_ERROR,
      `The request to ${request.url} was cancelled after the payment of ${describe} was signed but before it was sent: nothing was paid. The amount stays counted in today's budget.`,
      { url: request.url, reason: "aborted" },
    );
  }

  // Encoded once: a resend is this very header, byte for byte.
  const paidRequest = {
    ...request,
    headers: { ...withoutPaymentHeaders(request.headers), [paymentHeaderName(chosen.option.x402Version)]: encodeJsonHeader(signed.payload) },
  };
  let attempt = await sendOnce(rt, paidRequest, signal);
  let blocked: string | null | undefined;
  for (;;) {
    // Short, for the progress line: the connection's error code, "timeout", or the 5xx.
    const lost = attempt.failure ? transportFailure(attempt.failure) : lostAnswer(attempt.response, chosen.option.x402Version);
    blocked = lost === undefined ? undefined : await resendBlocked(rt, signed, paymentId, resent, signal);
    if (blocked !== null) break;
    resent++;
    onProgress(`the paid request's answer was lost (${lost}); resending the same payment header (resend ${resent} of ${MAX_RESENDS}, payment-identifier ${paymentId})`);
    rt.logger.log("warning", `the paid request's answer for ${request.url} was lost (${attempt.failure?.message ?? lost}); resending the same payment header, payment-identifier ${paymentId} (resend ${resent} of ${MAX_RESENDS})`);
    await new Promise((resolve) => setTimeout(resolve, RESEND_BACKOFF_MS[resent - 1]));
    attempt = await sendOnce(rt, paidRequest, signal);
  }
  if (attempt.failure) {
    const reason = attempt.failure.message;
    const notResent = blocked ?? (paymentId === undefined ? NOT_OFFERED : "not resent: the failure was not in transport");
    const why = `${notResent}${resent > 0 ? ` (sent ${resent + 1} times with payment-identifier ${paymentId})` : ""}`;
    await commitOutcome(rt, reservation, { status: "unconfirmed", receipt: receiptFor(null, "unconfirmed", `the paid request failed: ${reason}; ${why}`) });
    throw new CodedError(
      ErrorCode.HTTP_ERROR,
      `A payment of ${describe} for ${request.url} was signed, but the paid request failed: ${reason} It was ${why}. The payment may still settle; it counts against the budget. Check wallet_balance before retrying.`,
      { url: request.url, ...(resent > 0 ? { resent } : {}) },
    );
  }
  const paid = attempt.response;

  if (paid.status === 409 && paymentId !== undefined) {
    const reason = `409: the server holds payment-identifier ${paymentId} for another payment`;
    await commitOutcome(rt, reservation, { status: "rejected", reason, receipt: receiptFor(null, "rejected", `server's reason: ${reason}`) });
    rt.logger.log("warning", `payment of ${describe} for ${request.url} was refused with 409 (payment-identifier ${paymentId}); nothing more was sent`);
    throw new CodedError(
      ErrorCode.PAYMENT_REJECTED,
      `${request.url} answered 409 Conflict to ${describeSigned(chosen, signed)} sent with payment-identifier ${paymentId}: the server says it saw that id with another payment. Nothing more was sent and nothing was signed again. ` +
        `${resent > 0 ? "An earlier send of the same header may have been settled before its answer was lost, so " : "The server could still settle it until it expires, so "}it counts against the budget; check wallet_balance and spending_history, and do not retry this URL blindly.`,
      { url: request.url, paymentId, resent, validBefore: signed.validBefore },
    );
  }

  if (askedAgain(paid)) {
    rt.balances.forget(chosen.asset, signed.payer);
    const reason = rejectionReason(paid, chosen.option.x402Version);
    await commitOutcome(rt, reservation, { status: "rejected", reason, receipt: receiptFor(null, "rejected", `server's reason: ${reason}`) });
    rt.logger.log("warning", `payment of ${describe} for ${request.url} was rejected: ${reason}`);
    return {
      kind: "asked-again",
      response: paid,
      error: new CodedError(
        ErrorCode.PAYMENT_REJECTED,
        `${request.url} asked for payment again after ${describeSigned(chosen, signed)} was sent (server's reason: ${reason}). It was not paid a second time: that authorization was signed once. ` +
          "The server could still settle it until it expires, so it counts against the budget; check wallet_balance, and do not retry this URL blindly.",
        { url: request.url, reason, validBefore: signed.validBefore },
      ),
    };
  }

  const receipt = await settle(rt, paid, chosen, signed, reservation, receiptFor);
  // The answer does not wait for the outcome to be written: the durable sign line already
  // counts the payment for good, and the outcome adds the receipt the agent is being handed.
  rt.defer(() => commitOutcome(rt, reservation, { status: receipt.status as "settled", receipt }));
  rt.logger.log(
    receipt.status === "mismatch" ? "warning" : "info",
    `paid ${describe} to ${receipt.payTo} on ${receipt.network} for ${request.url} (${receipt.status}${receipt.transaction ? ` ${receipt.transaction}` : ""}${receipt.note ? `: ${receipt.note}` : ""})`,
  );
  return { kind: "paid", response: paid, payment: receipt };
}

type ReceiptFor = (transaction: string | null, status: Receipt["status"], note?: string, taken?: bigint) => Receipt;

/** The receipt after a paid answer: what the server reports, checked on-chain when enabled. */
async function settle(
  rt: Runtime,
  paid: HttpResponse,
  chosen: PayableOption,
  signed: SignedPayment,
  reservation: Reservation,
  receiptFor: ReceiptFor,
): Promise<Receipt> {
  const settlement = parseSettlement(chosen.option.x402Version, paid.header, chosen.option.network);
  if (settlement.kind !== "settled") {
    const note = settlement.kind === "missing" ? "the server sent no settlement header" : settlement.reason;
    return receiptFor(null, "unconfirmed", note);
  }
  if (chosen.option.scheme === "upto") return settleUpto(rt, settlement, chosen, signed, reservation, receiptFor);
  if (settlement.transaction === null) return receiptFor(null, "unconfirmed", "settlement header has no valid transaction hash");
  if (!rt.config.verifySettlement) return receiptFor(settlement.transaction, "settled");
  const verification = await rt.chain.verifySettlement(
    {
      network: chosen.option.network,
      transaction: settlement.transaction,
      asset: chosen.asset.address,
      from: signed.payer,
      to: chosen.option.payTo,
      amount: chosen.option.amount,
      authorization: signed.authorization,
    },
    rt.config.verifyTimeoutMs,
  );
  if (verification.status === "verified") return receiptFor(settlement.transaction, "verified");
  if (verification.status === "mismatch") return receiptFor(settlement.transaction, "mismatch", verification.detail);
  if (verification.status === "unknown") return receiptFor(settlement.transaction, "unconfirmed", verification.detail);
  return receiptFor(settlement.transaction, "settled", verification.detail);
}

/**
 * An upto settlement: the server says what it took of the maximum signed. The budget counts
 * the maximum until the chain shows exactly that transfer under this payment's own
 * authorization; then it counts what was taken (rounded up to a micro-USD) and gives the
 * rest back. Without that proof (check off, RPC down, nothing taken hence no transaction)
 * the maximum stays counted for as long as any signed payment counts: the authorization
 * could still be settled for up to it until its deadline.
 */
async function settleUpto(
  rt: Runtime,
  settlement: Extract<Settlement, { kind: "settled" }>,
  chosen: PayableOption,
  signed: SignedPayment,
  reservation: Reservation,
  receiptFor: ReceiptFor,
): Promise<Receipt> {
  const { option, asset } = chosen;
  const { transaction, amount: taken } = settlement;
  const units = (amount: bigint) => `${formatDecimal(amount, asset.decimals)} ${asset.symbol}`;
  const until = new Date(signed.validBefore * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const maxCounted = `the maximum ${units(option.amount)} stays counted against the budget (the authorization can be settled for up to it until ${until})`;
  if (taken === undefined) return receiptFor(transaction, "settled", `the server did not say how much it took; ${maxCounted}`);
  if (taken > option.amount) {
    return receiptFor(transaction, "mismatch", `the server reports taking ${units(taken)}, more than the maximum ${units(option.amount)} that was signed`, taken);
  }
  if (transaction === null) return receiptFor(null, "settled", `the server reports taking nothing, so there is no transaction to check; ${maxCounted}`, taken);
  if (!rt.config.verifySettlement) return receiptFor(transaction, "settled", `not checked on-chain (verifySettlement is off); ${maxCounted}`, taken);
  const verification = await rt.chain.verifySettlement(
    { network: option.network, transaction, asset: asset.address, from: signed.payer, to: option.payTo, amount: taken, authorization: signed.authorization },
    rt.config.verifyTimeoutMs,
  );
  const reported = `the server reports taking ${units(taken)} of the maximum ${units(option.amount)}`;
  if (verification.status === "verified") {
    await countActual(rt, reservation, assetToUsdMicros(taken, asset.decimals, asset.usdPerUnitMicros));
    return receiptFor(transaction, "verified", undefined, taken);
  }
  if (verification.status === "mismatch") return receiptFor(transaction, "mismatch", `${reported}, but ${verification.detail}`, taken);
  if (verification.status === "unknown") return receiptFor(transaction, "unconfirmed", `${verification.detail}; ${maxCounted}`, taken);
  return receiptFor(transaction, "settled", `${verification.detail}; ${maxCounted}`, taken);
}

/** Counts what the chain showed was taken instead of the maximum; a failure leaves the maximum counted, never fails the call. */
async function countActual(rt: Runtime, reservation: Reservation, usdMicros: bigint): Promise<void> {
  try {
    await rt.budget.settleActual(reservation, usdMicros);
  } catch (error) {
    rt.logger.log("error", `could not record the amount an upto payment took; its maximum stays counted: ${(error as Error).message}`);
  }
}

/** Exactly what an authorization lets the payee take, and until when: for messages. */
export function describeSigned(chosen: PayableOption, signed: SignedPayment): string {
  const { option, asset } = chosen;
  const network = findNetwork(option.network)?.displayName ?? option.network;
  const until = new Date(signed.validBefore * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return `a payment of ${option.scheme === "upto" ? "up to " : ""}${formatDecimal(option.amount, asset.decimals)} ${asset.symbol} to ${option.payTo} on ${network} (${option.network}), an authorization valid until ${until},`;
}

type Attempt = { response: HttpResponse; failure?: undefined } | { failure: CodedError };

async function sendOnce(rt: Runtime, request: HttpRequest, signal: AbortSignal | undefined): Promise<Attempt> {
  try {
    return { response: await rt.http.send(request, { followRedirects: false, signal }) };
  } catch (error) {
    return { failure: isCodedError(error) ? error : new CodedError(ErrorCode.HTTP_ERROR, String(error)) };
  }
}

/**
 * A failure of the connection or a timeout, where the answer may have been lost after the
 * server got the payment: its reason (an error code, "timeout"), else undefined.
 */
function transportFailure(error: CodedError): string | undefined {
  const reason = error.details.reason;
  const transport = error.code === ErrorCode.HTTP_ERROR && typeof reason === "string" && reason !== "aborted" && reason !== "headers-overflow";
  return transport ? reason : undefined;
}

/** A 5xx without a settlement header: a proxy's (or the server's) failure, not the server's answer to the payment. */
function lostAnswer(response: HttpResponse, x402Version: 1 | 2): string | undefined {
  if (response.status < 500 || parseSettlement(x402Version, response.header).kind !== "missing") return undefined;
  return `HTTP ${response.status} without a settlement header`;
}

/**
 * Why the same header may not be sent again, or null when it may: only with a
 * payment-identifier id (without one, a server that does not deduplicate could take the
 * payment twice), twice at most, never after a cancel, and only while the authorization can
 * still be settled after the wait, the answer and a facilitator's margin. Solana's deadline
 * is its blockhash's last block, read from the chain: a height that cannot be read stops it.
 */
async function resendBlocked(rt: Runtime, signed: SignedPayment, paymentId: string | undefined, resent: number, signal: AbortSignal | undefined): Promise<string | null> {
  if (paymentId === undefined) return NOT_OFFERED;
  if (resent >= MAX_RESENDS) return `not resent again after ${MAX_RESENDS} resends`;
  if (signal?.aborted) return "not resent: the call was cancelled";
  const needMs = RESEND_BACKOFF_MS[resent]! + rt.config.http.timeoutMs + SETTLE_MARGIN_MS;
  if (Date.now() + needMs >= signed.validBefore * 1000) {
    return `not resent: the authorization expires at ${new Date(signed.validBefore * 1000).toISOString()}, too soon for another send to be settled`;
  }
  if (signed.lastValidBlockHeight === undefined) return null;
  const network = (signed.payload.accepted as { network?: string } | undefined)?.network;
  let height: bigint;
  try {
    if (!network || !rt.chain.readBlockHeight) throw new Error("no network to read");
    height = await rt.chain.readBlockHeight(network);
  } catch (error) {
    return `not resent: the block height could not be read to check the transaction can still land (${(error as Error).message.split("\n")[0]})`;
  }
  const marginBlocks = BigInt(Math.ceil(needMs / SOLANA_BLOCK_MS));
  if (height + marginBlocks >= signed.lastValidBlockHeight) {
    return `not resent: the transaction can land until block ${signed.lastValidBlockHeight} and the chain is at ${height}, too close for another send`;
  }
  return null;
}

/** Any payment header already on the request goes: only the one signed here is sent (an object may hold two spellings of one name). */
function withoutPaymentHeaders(headers: Record<string, string>): Record<string, string> {
  const names = new Set([PAYMENT_SIGNATURE_HEADER.toLowerCase(), X_PAYMENT_HEADER.toLowerCase()]);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !names.has(name.toLowerCase())));
}

/**
 * The server refused the payment it was sent: 402 again, or 412 with a PAYMENT-REQUIRED
 * header (an exact-Permit2 server's `permit2_allowance_required`: the allowance it found does
 * not cover the permit). Either way the signature was spent; nothing is signed again.
 */
function askedAgain(response: HttpResponse): boolean {
  return response.status === 402 || (response.status === 412 && response.header(PAYMENT_REQUIRED_HEADER) !== undefined);
}

function rejectionReason(response: HttpResponse, x402Version: 1 | 2): string {
  try {
    const again = parsePaymentRequired({ url: response.url, header: response.header, bodyText: response.body.toString("utf8") });
    if (again.error) return again.error;
  } catch {
    // A garbled second 402 still means "rejected"; fall back to the settlement header, then the body.
  }
  // A failed settlement (an upto server settling above its maximum) says why in its settlement header.
  const settlement = parseSettlement(x402Version, response.header);
  if (settlement.kind === "failed") return settlement.reason;
  const text = response.body.toString("utf8").trim().slice(0, 300);
  return text || "none given";
}
