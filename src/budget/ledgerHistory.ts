import type { LedgerEvent } from "./ledgerEvents.js";
import { hostMatches } from "../policy/hosts.js";
import type { HistoryEntry, HistoryQuery } from "./types.js";

/** Folds ledger events into one entry per payment, newest first; released ones are left out. */
export function foldHistory(events: LedgerEvent[], query: HistoryQuery): HistoryEntry[] {
  const byId = new Map<string, HistoryEntry>();
  const released = new Set<string>();
  for (const event of events) {
    if (event.type === "reserve") {
      byId.set(event.id, {
        id: event.id,
        at: event.at,
        meta: {
          agent: event.agent,
          url: event.url,
          host: event.host,
          network: event.network,
          asset: event.asset,
          amountAtomic: BigInt(event.amountAtomic),
          payTo: event.payTo,
        },
        usdMicros: BigInt(event.usdMicros),
        payer: undefined,
        status: "reserved",
        receipt: null,
      });
      continue;
    }
    // An external transfer is no payment of ours: reconciliation reports it, the history does not.
    if (event.type === "external") continue;
    const entry = byId.get(event.id);
    if (!entry) continue;
    // A release after a signature is ignored, as the caps ignore it: signed money is spent.
    if (event.type === "release") {
      if (entry.status === "reserved") released.add(event.id);
    }
    else if (event.type === "expired") {
      if (entry.status === "reserved") continue;
      entry.status = "expired";
      entry.usdMicros = 0n;
      entry.expired = { at: event.at, reason: event.reason };
    } else if (event.type === "actual") {
      const actual = BigInt(event.usdMicros);
      if (entry.status !== "reserved" && actual < entry.usdMicros) entry.usdMicros = actual;
    } else if (event.type === "sign") {
      entry.payer = event.payer;
      if (event.paymentId !== undefined) entry.paymentId = event.paymentId;
      entry.authorization = {
        validBefore: event.validBefore,
        nonce: event.nonce,
        ...(event.lastValidBlockHeight !== undefined ? { lastValidBlockHeight: event.lastValidBlockHeight } : {}),
        signedAt: event.at,
      };
      if (entry.status === "reserved") entry.status = "signed";
    } else if (entry.status !== "expired") {
      entry.status = event.status;
      entry.receipt = event.receipt;
    }
  }
  return [...byId.values()]
    .filter(
      (e) =>
        !released.has(e.id) &&
        e.at >= query.sinceMs &&
        (!query.host || hostMatches(query.host, e.meta.host)) &&
        (query.agent === undefined || e.meta.agent === query.agent),
    )
    .reverse()
    .slice(0, query.limit);
}
