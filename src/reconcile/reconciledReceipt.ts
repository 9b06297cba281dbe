import type { HistoryEntry } from "../budget/types.js";
import { explorerUrl } from "../chains/index.js";
import type { AssetInfo } from "../chains/types.js";
import { formatDecimal } from "../money.js";
import { receiptFromEntry, type Receipt } from "../payment/receipt.js";

/**
 * The receipt of a payment whose settlement reconciliation read on-chain: the one the ledger
 * has, or one made from the entry when the process stopped before writing any, with the
 * transaction, the status and (upto) the amount taken.
 */
export function reconciledReceipt(entry: HistoryEntry, asset: AssetInfo | undefined, change: { status: "verified" | "mismatch"; transaction: string; amountAtomic: bigint; note?: string }): Receipt {
  const decimals = asset?.decimals ?? 0;
  // No line records the scheme: only upto can take less than it signed.
  const base: Receipt = entry.receipt ?? receiptFromEntry(entry, asset, change.status, change.amountAtomic < entry.meta.amountAtomic ? "upto" : "exact");
  // The old note explained why it was not verified; a new one is given when it still is not.
  const rest: Receipt = { ...base };
  delete rest.note;
  return {
    ...rest,
    status: change.status,
    ...(base.scheme === "upto" ? { amount: formatDecimal(change.amountAtomic, decimals), amountAtomic: change.amountAtomic.toString() } : {}),
    transaction: change.transaction,
    explorerUrl: explorerUrl(entry.meta.network, change.transaction),
    ...(change.note ? { note: change.note } : {}),
  };
}
