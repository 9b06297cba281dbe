import { z } from "zod";
import { explorerUrl } from "../chains/index.js";
import type { HistoryEntry } from "../budget/types.js";
import type { AssetInfo } from "../chains/types.js";
import { formatDecimal } from "../money.js";
import type { PaymentOption } from "../x402/types.js";

/**
 * What the model and the person are told about one payment; also what the ledger keeps.
 * Field names are a public contract.
 */
export const ReceiptSchema = z.object({
  status: z
    .enum(["settled", "unconfirmed", "verified", "mismatch", "rejected", "expired"])
    .describe(
      "expired: reconciliation read on-chain that the signed authorization expired unused, so it moved nothing and no longer counts against any cap (see note); settled: the server reported a transaction (or, for upto, that it took nothing: no transaction); verified: that transaction was read on-chain, moves exactly what was signed (upto: exactly the amount the server reports taking) and uses this payment's own authorization (its nonce); mismatch: it does not, or an upto server claims more than its maximum (see note); unconfirmed: no usable settlement report; rejected: the server refused the payment",
    ),
  amount: z
    .string()
    .describe("Decimal amount in the asset's units (USD for USDC): what was signed; for upto, what the server reports taking (the maximum when it has not said)"),
  amountAtomic: z.string(),
  asset: z.string(),
  symbol: z.string(),
  network: z.string().describe("CAIP-2 network id"),
  payTo: z.string(),
  payer: z.string(),
  transaction: z.string().nullable(),
  explorerUrl: z.string().nullable(),
  maxAmount: z
    .string()
    .optional()
    .describe("upto only: the maximum that was signed, decimal in the asset's units; the budget counts it until the chain shows what was taken. Absent for exact, where amount is what was signed"),
  scheme: z.string(),
  x402Version: z.union([z.literal(1), z.literal(2)]),
  resource: z.string(),
  paidAt: z.string(),
  paymentId: z
    .string()
    .optional()
    .describe("The payment-identifier id sent with the payment, when the server offered that extension: the seller's records know the payment by it"),
  resent: z
    .number()
    .int()
    .optional()
    .describe("How many times the same payment header was sent again after its answer was lost (payment-identifier only; never a second payment)"),
  note: z.string().optional().describe("Why the status is not settled or verified, when it is not; resent: N when the paid request had to be resent"),
});
export type Receipt = z.infer<typeof ReceiptSchema>;

export function buildReceipt(args: {
  option: PaymentOption;
  asset: AssetInfo;
  payer: string;
  url: string;
  transaction: string | null;
  status: Receipt["status"];
  note?: string | undefined;
  /** upto: what the server reports taking, when it said. */
  taken?: bigint | undefined;
  paymentId?: string | undefined;
  /** Times the same header was sent again; noted only when it was. */
  resent?: number | undefined;
}): Receipt {
  const { option, asset, transaction } = args;
  const upto = option.scheme === "upto";
  const amount = upto ? (args.taken ?? option.amount) : option.amount;
  return {
    status: args.status,
    amount: formatDecimal(amount, asset.decimals),
    amountAtomic: amount.toString(),
    asset: asset.address,
    symbol: asset.symbol,
    network: option.network,
    payTo: option.payTo,
    payer: args.payer,
    transaction,
    explorerUrl: transaction ? explorerUrl(option.network, transaction) : null,
    ...(upto ? { maxAmount: formatDecimal(option.amount, asset.decimals) } : {}),
    scheme: option.scheme,
    x402Version: option.x402Version,
    resource: option.resource ?? args.url,
    paidAt: new Date().toISOString(),
    ...(args.paymentId ? { paymentId: args.paymentId } : {}),
    ...(args.resent ? { resent: args.resent } : {}),
    ...(args.note ? { note: args.note } : {}),
  };
}

/**
 * A receipt made from a ledger entry whose process stopped before writing one: what the
 * ledger knows (amount, asset, payee, payer, when), no transaction, scheme `exact` unless
 * said otherwise (no line records it).
 */
export function receiptFromEntry(entry: HistoryEntry, asset: AssetInfo | undefined, status: Receipt["status"], scheme = "exact"): Receipt {
  return {
    status,
    amount: formatDecimal(entry.meta.amountAtomic, asset?.decimals ?? 0),
    amountAtomic: entry.meta.amountAtomic.toString(),
    asset: entry.meta.asset,
    symbol: asset?.symbol ?? "?",
    network: entry.meta.network,
    payTo: entry.meta.payTo,
    payer: entry.payer ?? "",
    transaction: null,
    explorerUrl: null,
    scheme,
    x402Version: 2,
    resource: entry.meta.url,
    paidAt: new Date(entry.at).toISOString(),
    ...(entry.paymentId ? { paymentId: entry.paymentId } : {}),
  };
}
