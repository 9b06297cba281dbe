import type { PrivateKeyAccount } from "viem/accounts";
import type { Reservation } from "../budget/types.js";
import { findNetwork } from "../chain/networks.js";
import { readTokenBalance } from "../chain/readTokenBalance.js";
import { CodedError, ErrorCode } from "../errors.js";
import { formatDecimal, formatUsd } from "../money.js";
import { requireApproval, type Approver } from "../policy/approval.js";
import type { Runtime } from "../runtime.js";
import type { SignedPayment } from "../schemes/types.js";
import type { PayableOption } from "../x402/select.js";
import type { PaymentRequired } from "../x402/types.js";
import { capsFor } from "./capsFor.js";

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
 * The only way to a signature: reserve under every cap, check funds, ask the person when
 * the amount calls for it, sign exactly the reserved option, and write the signature to the
 * ledger before returning it. Anything that fails before the signature is recorded releases
 * the reservation; once recorded, it counts for good.
 */
export async function authorizePayment(
  rt: Runtime,
  account: PrivateKeyAccount,
  chosen: PayableOption,
  required: PaymentRequired,
  url: string,
  options: AuthorizeOptions,
): Promise<Authorization> {
  // The balance read (when no recent reading covers the price) runs while the reservation is taken.
  const funds = assertSufficientFunds(rt, account, chosen, url);
  funds.catch(() => undefined);
  const reservation = await rt.budget.reserve({ sessionId: rt.sessionId, usdMicros: chosen.usdMicros, ...capsFor(rt, chosen, url, options.maxPayment) });
  let signed: SignedPayment;
  try {
    await funds;
    if (rt.approvalAbove !== null && chosen.usdMicros > rt.approvalAbove) {
      await requireApproval(options.approve, approvalRequest(chosen, url), formatUsd(rt.approvalAbove), options.signal);
    }
    signed = await sign(account, chosen, required, url);
    // A cancelled call releases its reservation as long as the signature never left the process.
    if (options.signal?.aborted) {
      throw new CodedError(ErrorCode.HTTP_ERROR, `The request to ${url} was cancelled before payment; nothing was paid.`, { reason: "aborted" });
    }
  } catch (error) {
    await rt.budget.release(reservation);
    throw error;
  }
  await rt.budget.recordSigned(reservation, { payer: signed.payer, validBefore: signed.validBefore, nonce: signed.nonce });
  rt.balances.spend(chosen.asset, account.address, chosen.option.amount);
  return { reservation, signed };
}

async function sign(account: PrivateKeyAccount, chosen: PayableOption, required: PaymentRequired, url: string): Promise<SignedPayment> {
  try {
    return await chosen.scheme.sign({ account, option: chosen.option, asset: chosen.asset, required });
  } catch (error) {
    throw new CodedError(ErrorCode.SIGNING_FAILED, `Could not sign the payment for ${url}: ${(error as Error).message}. Nothing was paid.`);
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
    description: chosen.option.description,
  };
}

async function assertSufficientFunds(rt: Runtime, account: PrivateKeyAccount, chosen: PayableOption, url: string): Promise<void> {
  if (rt.balances.covers(chosen.asset, account.address, chosen.option.amount)) return;
  let balance: bigint;
  try {
    balance = await readTokenBalance(rt.chain, chosen.asset, account.address);
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
