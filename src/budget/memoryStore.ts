import { randomUUID } from "node:crypto";
import { assertWithinCallLimit, sessionBudgetExceeded } from "./caps.js";
import type { BudgetStore, PaymentOutcome, Reservation, ReserveRequest, SessionUsage } from "./types.js";

/**
 * Session caps kept in this process. Reserve is synchronous between awaits, which makes
 * the check-and-take atomic in Node's single thread: parallel calls queue, none overshoots.
 */
export class MemoryBudgetStore implements BudgetStore {
  private readonly spentBySession = new Map<string, bigint>();
  private readonly open = new Set<string>();

  async reserve(request: ReserveRequest): Promise<Reservation> {
    const { perCall } = request.limits;
    assertWithinCallLimit(request.usdMicros, { configured: perCall, effective: perCall }, request.meta.url);
    const spent = this.spentBySession.get(request.sessionId) ?? 0n;
    if (spent + request.usdMicros > request.limits.perSession) {
      throw sessionBudgetExceeded(request.usdMicros, spent, request.limits.perSession, request.meta.url);
    }
    this.spentBySession.set(request.sessionId, spent + request.usdMicros);
    const reservation = { id: randomUUID(), sessionId: request.sessionId, usdMicros: request.usdMicros };
    this.open.add(reservation.id);
    return reservation;
  }

  async commit(reservation: Reservation, _outcome: PaymentOutcome): Promise<void> {
    this.open.delete(reservation.id);
  }

  async release(reservation: Reservation): Promise<void> {
    if (!this.open.delete(reservation.id)) return;
    const spent = this.spentBySession.get(reservation.sessionId) ?? 0n;
    this.spentBySession.set(reservation.sessionId, spent - reservation.usdMicros);
  }

  async sessionUsage(sessionId: string): Promise<SessionUsage> {
    return { spent: this.spentBySession.get(sessionId) ?? 0n };
  }
}
