import { hostMatches } from "../policy/hosts.js";
import type { LedgerEvent } from "./ledgerEvents.js";
import type { Usage, UsageQuery } from "./types.js";

export const DAY_MS = 24 * 60 * 60 * 1000;

interface Spend {
  at: number;
  host: string;
  sessionId: string;
  agent: string | undefined;
  usdMicros: bigint;
  /** Signed (or with an outcome): counts for good, whatever release may follow. */
  signed: boolean;
}

/**
 * Running totals over ledger events: what counts against the caps now. Events are applied
 * in ledger order; only the last 24 h plus each live session's total are kept, so memory
 * and start-up do not grow with history. A reservation counts until it is released, a
 * signed one for good, and in the rolling 24 h from its signing (an approval wait must
 * not let two full daily budgets be signed less than 24 h apart). An `actual` line lowers
 * a signed one to what was taken, in the day and in its session; an `expired` one (the chain
 * proved it moved nothing) stops counting anywhere. An `external` transfer (the key spent elsewhere)
 * counts in the day's total only.
 */
export class SpendWindow {
  /** Insertion-ordered (ledger order, which is time order), so expiry pops from the front. */
  private readonly inWindow = new Map<string, Spend>();
  private daySum = 0n;
  private readonly sessions = new Map<string, bigint>();

  apply(event: LedgerEvent): void {
    if (event.type === "reserve") {
      this.add(event.id, {
        at: event.at,
        host: event.host,
        sessionId: event.sessionId,
        agent: event.agent,
        usdMicros: BigInt(event.usdMicros),
        signed: false,
      });
    } else if (event.type === "sign" || event.type === "outcome") {
      const spend = this.inWindow.get(event.id);
      if (spend) {
        if (spend.signed) return;
        // Moved to the end, where its new time belongs: the Map stays in time order.
        this.inWindow.delete(event.id);
        this.inWindow.set(event.id, { ...spend, at: Math.max(spend.at, event.at), signed: true });
      } else if (event.type === "sign" && event.usdMicros !== undefined && event.sessionId !== undefined && event.host !== undefined) {
        // Its reserve line lies before the 24 h this process read (or was torn by a crash).
        this.add(event.id, {
          at: event.at,
          host: event.host,
          sessionId: event.sessionId,
          agent: event.agent,
          usdMicros: BigInt(event.usdMicros),
          signed: true,
        });
      }
    } else if (event.type === "actual") {
      const spend = this.inWindow.get(event.id);
      const actual = BigInt(event.usdMicros);
      if (!spend || !spend.signed || actual >= spend.usdMicros) return;
      const returned = spend.usdMicros - actual;
      // Replaced in place: its time, hence its place in the Map, stays that of its signing.
      this.inWindow.set(event.id, { ...spend, usdMicros: actual });
      this.daySum -= returned;
      this.sessions.set(spend.sessionId, (this.sessions.get(spend.sessionId) ?? 0n) - returned);
    } else if (event.type === "external") {
      // No session, host or agent: only the wallet's day total counts what the key spent elsewhere.
      if (this.inWindow.has(event.id)) return;
      this.add(event.id, { at: event.at, host: "", sessionId: "", agent: undefined, usdMicros: BigInt(event.usdMicros), signed: true });
    } else if (event.type === "expired") {
      const spend = this.inWindow.get(event.id);
      if (spend) this.remove(event.id, spend);
    } else {
      const spend = this.inWindow.get(event.id);
      if (!spend || spend.signed) return;
      this.remove(event.id, spend);
    }
  }

  private remove(id: string, spend: Spend): void {
    this.inWindow.delete(id);
    this.daySum -= spend.usdMicros;
    this.sessions.set(spend.sessionId, (this.sessions.get(spend.sessionId) ?? 0n) - spend.usdMicros);
  }

  /** Whether a reservation still counts at `now` and is signed; undefined once released or aged out. */
  signedAt(id: string, now: number): boolean | undefined {
    this.expire(now);
    return this.inWindow.get(id)?.signed;
  }

  /** What counts at `now`; `without` leaves one reservation out (to check it again against the caps). */
  usage(query: UsageQuery, now: number, without?: string): Usage {
    this.expire(now);
    const own = without === undefined ? undefined : this.inWindow.get(without);
    const others = (spend: Spend) => spend !== own;
    const hostsDay = query.hostPatterns.map((pattern) => {
      let spent = 0n;
      for (const spend of this.inWindow.values()) if (others(spend) && hostMatches(pattern, spend.host)) spent += spend.usdMicros;
      return { pattern, spent };
    });
    let agentDay = 0n;
    if (query.agent !== undefined) for (const spend of this.inWindow.values()) if (others(spend) && spend.agent === query.agent) agentDay += spend.usdMicros;
    const ownSession = own?.sessionId === query.sessionId ? own.usdMicros : 0n;
    return {
      session: (this.sessions.get(query.sessionId) ?? 0n) - ownSession,
      day: this.daySum - (own?.usdMicros ?? 0n),
      hostsDay,
      agentDay,
    };
  }

  private add(id: string, spend: Spend): void {
    this.inWindow.set(id, spend);
    this.daySum += spend.usdMicros;
    this.sessions.set(spend.sessionId, (this.sessions.get(spend.sessionId) ?? 0n) + spend.usdMicros);
  }

  private expire(now: number): void {
    const cutoff = now - DAY_MS;
    for (const [id, spend] of this.inWindow) {
      // Ledger order is time order up to clock skew between processes; stopping at the
      // first young entry may keep a slightly older one a little longer, never less.
      if (spend.at > cutoff) break;
      this.inWindow.delete(id);
    this.daySum -= spend.usdMicros;
    }
  }
}
