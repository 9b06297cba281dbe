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
 * signed one for good.
 */
export class SpendWindow {
  /** Insertion-ordered (ledger order, which is time order), so expiry pops from the front. */
  private readonly inWindow = new Map<string, Spend>();
  private daySum = 0n;
  private readonly sessions = new Map<string, bigint>();

  apply(event: LedgerEvent): void {
    if (event.type === "reserve") {
      const spend = {
        at: event.at,
        host: event.host,
        sessionId: event.sessionId,
        agent: event.agent,
        usdMicros: BigInt(event.usdMicros),
        signed: false,
      };
      this.inWindow.set(event.id, spend);
      this.daySum += spend.usdMicros;
      this.sessions.set(spend.sessionId, (this.sessions.get(spend.sessionId) ?? 0n) + spend.usdMicros);
    } else if (event.type === "sign" || event.type === "outcome") {
      const spend = this.inWindow.get(event.id);
      if (spend) spend.signed = true;
    } else {
      const spend = this.inWindow.get(event.id);
      if (!spend || spend.signed) return;
      this.inWindow.delete(event.id);
      this.daySum -= spend.usdMicros;
      this.sessions.set(spend.sessionId, (this.sessions.get(spend.sessionId) ?? 0n) - spend.usdMicros);
    }
  }

  usage(query: UsageQuery, now: number): Usage {
    this.expire(now);
    const hostsDay = query.hostPatterns.map((pattern) => {
      let spent = 0n;
      for (const spend of this.inWindow.values()) if (hostMatches(pattern, spend.host)) spent += spend.usdMicros;
      return { pattern, spent };
    });
    let agentDay = 0n;
    if (query.agent !== undefined) for (const spend of this.inWindow.values()) if (spend.agent === query.agent) agentDay += spend.usdMicros;
    return { session: this.sessions.get(query.sessionId) ?? 0n, day: this.daySum, hostsDay, agentDay };
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
