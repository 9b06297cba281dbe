import type { LedgerEvent, ReserveEvent } from "./ledgerEvents.js";
import { DAY_MS } from "./spendWindow.js";

/** One payment of a file ledger, as `ledger import` moves it. */
export interface PaymentToImport {
  reserve: ReserveEvent;
  /** Its events in ledger order, the reserve first. */
  events: LedgerEvent[];
  /** It counts against the caps at `now`, as the file store counts it (see SpendWindow). */
  counts: boolean;
  /** From when it counts in the rolling 24 h (ms): its signing, or its reservation while unsigned. */
  since: number;
  /** What it counts (USD micros): its reservation, or less once an `actual` line lowered it after its signing. */
  usdMicros: bigint;
}

/**
 * Groups ledger events by payment, in ledger order. A payment counts when it was signed in
 * the last 24 h, or reserved in them and neither signed nor released (as SpendWindow counts
 * it); events of an unknown payment (its reserve torn by a crash) are left out.
 */
export function paymentsToImport(events: readonly LedgerEvent[], now: number): PaymentToImport[] {
  const payments = new Map<string, { reserve: ReserveEvent; events: LedgerEvent[]; state: "held" | "signed" | "released"; since: number; usdMicros: bigint }>();
  for (const event of events) {
    if (event.type === "reserve") {
      if (!payments.has(event.id)) {
        payments.set(event.id, { reserve: event, events: [event], state: "held", since: event.at, usdMicros: BigInt(event.usdMicros) });
      }
      continue;
    }
    const payment = payments.get(event.id);
    if (!payment) continue;
    payment.events.push(event);
    if (event.type === "actual") {
      // As SpendWindow applies it: only a signed payment is lowered, never raised.
      if (payment.state === "signed" && BigInt(event.usdMicros) < payment.usdMicros) payment.usdMicros = BigInt(event.usdMicros);
      continue;
    }
    if (event.type === "expired") {
      // As SpendWindow applies it: the chain proved it moved nothing, so it counts nothing.
      if (payment.state === "signed") payment.state = "released";
      continue;
    }
    if (payment.state !== "held") continue;
    payment.state = event.type === "release" ? "released" : "signed";
    if (payment.state === "signed") payment.since = Math.max(payment.since, event.at);
  }
  return [...payments.values()].map(({ reserve, events: own, state, since, usdMicros }) => ({
    reserve,
    events: own,
    counts: state !== "released" && since > now - DAY_MS,
    since,
    usdMicros,
  }));
}
