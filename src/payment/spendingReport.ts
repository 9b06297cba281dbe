import type { HistoryEntry, SpendingTotal } from "../budget/types.js";
import { findAsset } from "../chains/assets.js";
import { formatUsd } from "../money.js";
import type { Runtime } from "../runtime.js";
import { receiptFromEntry, type Receipt } from "./receipt.js";

export interface SpendingQuery {
  limit: number;
  since: Date | undefined;
  host: string | undefined;
}

export interface SpendingReport {
  since: string;
  receipts: Receipt[];
  totals: {
    byDay: { day: string; spent: string; payments: number }[];
    byHost: { host: string; spent: string; payments: number }[];
    /** Per UTC day and host: what the wallet page stacks in its chart. */
    byDayAndHost: { day: string; host: string; spent: string; payments: number }[];
  };
}

/** When no `since` is given, the report covers this far back. */
export const DEFAULT_HISTORY_DAYS = 30;

/** Receipts from the ledger, newest first, with totals per UTC day and per host for the whole period. */
export async function spendingReport(rt: Runtime, query: SpendingQuery): Promise<SpendingReport> {
  const since = query.since ?? new Date(Date.now() - DEFAULT_HISTORY_DAYS * 24 * 3600_000);
  // An agent (HTTP mode) sees only its own payments.
  const spending = await rt.budget.spending({ limit: query.limit, sinceMs: since.getTime(), host: query.host, agent: rt.agent?.name });
  const byDayAndHost = spending.byDayAndHost;
  return {
    since: since.toISOString(),
    receipts: spending.entries.map((entry) => receiptOf(rt, entry)),
    totals: {
      // Each day and host comes where its newest payment puts it, so a day (or host) comes where its first total does.
      byDay: totalBy(byDayAndHost, (t) => t.day).map(([day, t]) => ({ day, ...t })),
      byHost: totalBy(byDayAndHost, (t) => t.host).map(([host, t]) => ({ host, ...t })),
      byDayAndHost: byDayAndHost.map((t) => ({ day: t.day, host: t.host, spent: formatUsd(t.usdMicros), payments: t.payments })),
    },
  };
}

function totalBy(totals: SpendingTotal[], keyOf: (t: SpendingTotal) => string): [string, { spent: string; payments: number }][] {
  const merged = new Map<string, { micros: bigint; payments: number }>();
  for (const total of totals) {
    const key = keyOf(total);
    const sum = merged.get(key) ?? { micros: 0n, payments: 0 };
    sum.micros += total.usdMicros;
    sum.payments += total.payments;
    merged.set(key, sum);
  }
  return [...merged].map(([key, t]) => [key, { spent: formatUsd(t.micros), payments: t.payments }]);
}

/**
 * A payment whose process stopped before its outcome was written still gets a receipt, marked
 * so; one that reconciliation found expired says so, when and why, over whatever it said before.
 */
export function receiptOf(rt: Runtime, entry: HistoryEntry): Receipt {
  if (entry.expired) {
    const earlier = entry.receipt ?? unrecordedReceipt(rt, entry);
    return { ...earlier, status: "expired", transaction: null, explorerUrl: null, note: `expired unused (found ${new Date(entry.expired.at).toISOString()}): ${entry.expired.reason}` };
  }
  return entry.receipt ?? unrecordedReceipt(rt, entry);
}

function unrecordedReceipt(rt: Runtime, entry: HistoryEntry): Receipt {
  return {
    ...receiptFromEntry(entry, findAsset(rt.assets, entry.meta.network, entry.meta.asset), "unconfirmed"),
    note:
      entry.status === "signed"
        ? "signed, but the server process stopped before the outcome was recorded; it may have settled"
        : "reserved, but the server process stopped before signing was recorded; counted as spent to be safe",
  };
}
