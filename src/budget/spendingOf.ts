import type { HistoryEntry, Spending, SpendingTotal } from "./types.js";

/**
 * The spending answer from every matching entry, newest first (foldHistory's output): the
 * first `limit` entries, and each entry added to its UTC day and host, in the order each
 * day and host first appears. What a store without kept totals answers, and what the file
 * store's totals must always equal.
 */
export function spendingOf(entries: HistoryEntry[], limit: number): Spending {
  const totals = new Map<string, SpendingTotal>();
  for (const entry of entries) {
    const day = new Date(entry.at).toISOString().slice(0, 10);
    const key = `${day} ${entry.meta.host}`;
    const total = totals.get(key);
    if (total) {
      total.usdMicros += entry.usdMicros;
      total.payments += 1;
    } else totals.set(key, { day, host: entry.meta.host, usdMicros: entry.usdMicros, payments: 1 });
  }
  return { entries: entries.slice(0, limit), byDayAndHost: [...totals.values()] };
}
