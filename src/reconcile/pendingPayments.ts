import type { HistoryEntry } from "../budget/types.js";
import type { PaymentToReconcile } from "../chains/types.js";

/** A ledger entry whose outcome the chain may still tell, with what its chain is asked. */
export interface PendingPayment {
  entry: HistoryEntry;
  payment: PaymentToReconcile;
}

/**
 * Statuses that say nothing certain about the money: signed (the process stopped before an
 * outcome), unconfirmed (no usable settlement report), settled (the server's word, not read
 * on-chain). An upto payment in one of them has not had its amount taken read either.
 */
const UNKNOWN_OUTCOME = new Set<HistoryEntry["status"]>(["signed", "unconfirmed", "settled"]);

/** The entries reconciliation asks the chain about: signed, outcome unknown, with their authorization recorded. */
export function pendingPayments(entries: readonly HistoryEntry[]): PendingPayment[] {
  return entries.flatMap((entry) => {
    const { authorization, payer } = entry;
    if (!UNKNOWN_OUTCOME.has(entry.status) || !authorization || !payer) return [];
    return [
      {
        entry,
        payment: {
          network: entry.meta.network,
          asset: entry.meta.asset,
          payer,
          payTo: entry.meta.payTo,
          amountAtomic: entry.meta.amountAtomic,
          scheme: entry.receipt?.scheme,
          validBefore: authorization.validBefore,
          nonce: authorization.nonce,
          lastValidBlockHeight: authorization.lastValidBlockHeight === undefined ? undefined : BigInt(authorization.lastValidBlockHeight),
          signedAtMs: authorization.signedAt,
        },
      },
    ];
  });
}
