import type { LedgerEvent, ReserveEvent } from "./ledgerEvents.js";
import { DAY_MS } from "./spendWindow.js";

/** One payment of a file ledger, as `ledger import` moves it. */
export interface PaymentToImport {
  reserve: ReserveEvent;
  /** Its events in ledger order, the reserve first. */
  events: LedgerEvent[];
  /** It counts against the caps at `now`, as the file store counts it (see SpendWindow). */
  counts: boolean;
}

/**
 * Groups ledger events by payment, in ledger order. A payment counts when it was reserved in
 * the last 24 h and was not released before it was signed; events of an unknown payment (its
 * reserve torn by a crash) are left out, as the file store leaves them out.
 */
export function paymentsToImport(events: readonly LedgerEvent[], now: number): PaymentToImport[] {
  const payments = new Map<string, { reserve: ReserveEvent; events: LedgerEvent[]; state: "held" | "signed" | "released" }>();
  for (const event of events) {
    if (event.type === "reserve") {
      if (!payments.has(event.id)) payments.set(event.id, { reserve: event, events: [event], state: "held" });
      continue;
    }
    const payment = payments.get(event.id);
    if (!payment) continue;
    payment.events.push(event);
    if (payment.state !== "held") continue;
    payment.state = event.type === "release" ? "released" : "signed";
  }
  return [...payments.values()].map(({ reserve, events: own, state }) => ({
    reserve,
    events: own,
    counts: state !== "released" && reserve.at > now - DAY_MS,
  }));
}
