import type { HistoryEntry } from "../budget/types.js";
import { findAsset } from "../chains/assets.js";
import { formatDecimal, formatUsd } from "../money.js";
import type { Runtime } from "../runtime.js";
import type { Receipt } from "./receipt.js";

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
  const entries = await rt.budget.history({ limit: Number.MAX_SAFE_INTEGER, sinceMs: since.getTime(), host: query.host, agent: rt.agent?.name });
  return {
    since: since.toISOString(),
    receipts: entries.slice(0, query.limit).map((entry) => receiptOf(rt, entry)),
    totals: {
      byDay: totalBy(entries, dayOf).map(([day, t]) => ({ day, ...t })),
      byHost: totalBy(entries, (e) => e.meta.host).map(([host, t]) => ({ host, ...t })),
      // The day is 10 characters long: the host is what follows it and a space.
      byDayAndHost: totalBy(entries, (e) => `${dayOf(e)} ${e.meta.host}`).map(([key, t]) => ({ day: key.slice(0, 10), host: key.slice(11), ...t })),
    },
  };
}

const dayOf = (entry: HistoryEntry): string => new Date(entry.at).toISOString().slice(0, 10);

function totalBy(entries: HistoryEntry[], keyOf: (e: HistoryEntry) => string): [string, { spent: string; payments: number }][] {
  const totals = new Map<string, { micros: bigint; payments: number }>();
  for (const entry of entries) {
    const key = keyOf(entry);
    const total = totals.get(key) ?? { micros: 0n, payments: 0 };
    total.micros += entry.usdMicros;
    total.payments += 1;
    totals.set(key, total);
  }
  return [...totals].map(([key, t]) => [key, { spent: formatUsd(t.micros), payments: t.payments }]);
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
  const asset = findAsset(rt.assets, entry.meta.network, entry.meta.asset);
  return {
    status: "unconfirmed",
    amount: asset ? formatDecimal(entry.meta.amountAtomic, asset.decimals) : entry.meta.amountAtomic.toString(),
    amountAtomic: entry.meta.amountAtomic.toString(),
    asset: entry.meta.asset,
    symbol: asset?.symbol ?? "?",
    network: entry.meta.network,
    payTo: entry.meta.payTo,
    payer: entry.payer ?? "",
    transaction: null,
    explorerUrl: null,
    scheme: "exact",
    x402Version: 2,
    resource: entry.meta.url,
    paidAt: new Date(entry.at).toISOString(),
    ...(entry.paymentId ? { paymentId: entry.paymentId } : {}),
    note:
      entry.status === "signed"
        ? "signed, but the server process stopped before the outcome was recorded; it may have settled"
        : "reserved, but the server process stopped before signing was recorded; counted as spent to be safe",
  };
}
