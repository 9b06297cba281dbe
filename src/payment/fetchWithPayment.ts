import type { PrivateKeyAccount } from "viem/accounts";
import { assertWithinCallLimit, effectivePerCallLimit } from "../budget/caps.js";
import type { PaymentOutcome, Reservation } from "../budget/types.js";
import { findNetwork } from "../chain/networks.js";
import { readTokenBalance } from "../chain/readTokenBalance.js";
import { CodedError, ErrorCode } from "../errors.js";
import type { HttpRequest, HttpResponse } from "../http/types.js";
import { formatDecimal, formatUsd } from "../money.js";
import type { Runtime } from "../runtime.js";
import { NO_WALLET_HINT } from "../wallet/loadWallet.js";
import { encodeJsonHeader, paymentHeaderName } from "../x402/headers.js";
import { parsePaymentRequired } from "../x402/parsePaymentRequired.js";
import { parseSettlement } from "../x402/parseSettlement.js";
import { selectPaymentOption, type PayableOption } from "../x402/select.js";
import type { PaymentRequired } from "../x402/types.js";
import { buildReceipt, type Receipt } from "./receipt.js";

export interface PaidFetchRequest extends HttpRequest {
  /** A lower per-call cap for this call only, in USD micros. */
  maxPayment?: bigint | undefined;
}

export interface PaidFetchOutcome {
  response: HttpResponse;
  payment: Receipt | null;
}

/**
 * One paid request, in a straight line: probe → parse the 402 → choose → check caps →
 * reserve → sign → one paid retry → settlement → commit. At most one signature per call:
 * a second 402 after paying is reported, never paid again. Every reservation ends in
 * commit (something was signed) or release (nothing was).
 */
export async function fetchWithPayment(rt: Runtime, request: PaidFetchRequest, signal?: AbortSignal): Promise<PaidFetchOutcome> {
  const probe = await rt.http.send(request, { followRedirects: true, signal });
  if (probe.status !== 402) return { response: probe, payment: null };

  const payUrl = probe.url;
  const required = parsePaymentRequired({ url: payUrl, header: probe.header, bodyText: probe.body.toString("utf8") });
  const account = requireWallet(rt, payUrl);
  const { chosen } = selectPaymentOption(required, { networks: rt.config.networks, assets: rt.assets }, payUrl);
  const perCall = effectivePerCallLimit(rt.limits.perCall, request.maxPayment);
  assertWithinCallLimit(chosen.usdMicros, { configured: rt.limits.perCall, effective: perCall }, payUrl);
  await assertSufficientFunds(rt, account, chosen, payUrl);

  const reservation = await rt.budget.reserve({
    sessionId: rt.sessionId,
    usdMicros: chosen.usdMicros,
    limits: { perCall, perSession: rt.limits.perSession },
    meta: {
      url: payUrl,
      host: new URL(payUrl).host,
      network: chosen.option.network,
      asset: chosen.asset.address,
      amountAtomic: chosen.option.amount,
      payTo: chosen.option.payTo,
    },
  });
  return payReserved(rt, account, { ...request, url: payUrl }, required, chosen, reservation, signal);
}

async function payReserved(
  rt: Runtime,
  account: PrivateKeyAccount,
  request: HttpRequest,
  required: PaymentRequired,
  chosen: PayableOption,
  reservation: Reservation,
  signal: AbortSignal | undefined,
): Promise<PaidFetchOutcome> {
  let signed;
  try {
    signed = await chosen.scheme.sign({ account, option: chosen.option, asset: chosen.asset, required });
  } catch (error) {
    await rt.budget.release(reservation);
    throw new CodedError(ErrorCode.SIGNING_FAILED, `Could not sign the payment for ${request.url}: ${(error as Error).message}. Nothing was paid.`);
  }

  // From here on an authorization exists: whatever happens, it is committed, never released.
  const describe = `${formatDecimal(chosen.option.amount, chosen.asset.decimals)} ${chosen.asset.symbol}`;
  let paid: HttpResponse;
  try {
    paid = await rt.http.send(
      {
        ...request,
        headers: { ...request.headers, [paymentHeaderName(chosen.option.x402Version)]: encodeJsonHeader(signed.payload) },
      },
      { followRedirects: false, signal },
    );
  } catch (error) {
    const reason = error instanceof CodedError ? error.message : String(error);
    await commit(rt, reservation, { status: "unconfirmed", reason });
    throw new CodedError(
      ErrorCode.HTTP_ERROR,
      `A payment of ${describe} for ${request.url} was signed, but the paid request failed: ${reason} The payment may still settle; it counts against the budget until its authorization expires. Check wallet_balance before retrying.`,
      { url: request.url },
    );
  }

  if (paid.status === 402) {
    const reason = rejectionReason(paid);
    await commit(rt, reservation, { status: "rejected", reason });
    throw new CodedError(
      ErrorCode.PAYMENT_REJECTED,
      `${request.url} asked for payment again after a payment of ${describe} was sent (server's reason: ${reason}). It was not paid a second time. The signed authorization counts against the budget until it expires; check wallet_balance, and do not retry this URL blindly.`,
      { url: request.url, reason },
    );
  }

  const settlement = parseSettlement(chosen.option.x402Version, paid.header);
  const transaction = settlement.kind === "settled" ? settlement.transaction : null;
  const note =
    settlement.kind === "settled"
      ? undefined
      : settlement.kind === "missing"
        ? "the server sent no settlement header"
        : settlement.reason;
  await commit(rt, reservation, transaction ? { status: "settled", transaction } : { status: "unconfirmed", reason: note ?? "" });
  const receipt = buildReceipt({
    option: chosen.option,
    asset: chosen.asset,
    payer: signed.payer,
    url: request.url,
    transaction,
    ...(note ? { note } : {}),
  });
  rt.logger.log(
    "info",
    `paid ${describe} to ${receipt.payTo} on ${receipt.network} for ${request.url} (${receipt.status}${transaction ? ` ${transaction}` : ""})`,
  );
  return { response: paid, payment: receipt };
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

async function assertSufficientFunds(rt: Runtime, account: PrivateKeyAccount, chosen: PayableOption, url: string): Promise<void> {
  let balance: bigint;
  try {
    balance = await readTokenBalance(rt.chain, chosen.asset, account.address);
  } catch (error) {
    // The balance check spares a doomed signature; it is not a safety check, so an RPC outage does not block paying.
    rt.logger.log("warning", `could not read the ${chosen.asset.symbol} balance on ${chosen.asset.network}: ${(error as Error).message}`);
    return;
  }
  if (balance >= chosen.option.amount) return;
  const network = findNetwork(chosen.option.network)?.displayName ?? chosen.option.network;
  const have = formatDecimal(balance, chosen.asset.decimals);
  const need = formatDecimal(chosen.option.amount, chosen.asset.decimals);
  throw new CodedError(
    ErrorCode.INSUFFICIENT_FUNDS,
    `${url} costs ${need} ${chosen.asset.symbol} on ${network}, but the wallet ${account.address} holds ${have} ${chosen.asset.symbol} there. Send ${chosen.asset.symbol} on ${network} to that address, then try again. Nothing was paid.`,
    { balance: have, price: need, address: account.address, network: chosen.option.network, priceUsd: formatUsd(chosen.usdMicros) },
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
