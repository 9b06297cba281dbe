import { describe, expect, it } from "vitest";
import type { LedgerEvent } from "../../src/budget/ledgerEvents.js";
import { foldHistory } from "../../src/budget/ledgerHistory.js";
import { SpendWindow } from "../../src/budget/spendWindow.js";

const T = Date.UTC(2026, 11, 5, 12);
const reserve = (id: string, usd: number, host = "a.test", agent?: string): LedgerEvent => ({
  type: "reserve",
  id,
  at: T,
  sessionId: "s1",
  ...(agent ? { agent } : {}),
  url: `http://${host}/x`,
  host,
  network: "eip155:8453",
  asset: "0xA",
  amountAtomic: String(usd),
  usdMicros: String(usd),
  payTo: "0xB",
});
const sign = (id: string): LedgerEvent => ({ type: "sign", id, at: T + 1, payer: "0xP", validBefore: 0, nonce: "0x01" });
const query = { sessionId: "s1", hostPatterns: ["a.test"], agent: "bob" };

describe("an expired line", () => {
  it("returns a signed payment's amount to the day, session, host and agent totals", () => {
    const window = new SpendWindow();
    for (const e of [reserve("p1", 300_000, "a.test", "bob"), sign("p1"), reserve("p2", 200_000, "a.test", "bob"), sign("p2")]) window.apply(e);
    expect(window.usage(query, T + 10)).toMatchObject({ day: 500_000n, session: 500_000n, agentDay: 500_000n, hostsDay: [{ spent: 500_000n }] });
    window.apply({ type: "expired", id: "p1", at: T + 5, reason: "validBefore passed, authorizationState unused" });
    expect(window.usage(query, T + 10)).toMatchObject({ day: 200_000n, session: 200_000n, agentDay: 200_000n, hostsDay: [{ spent: 200_000n }] });
    // A second line for the same payment returns nothing more.
    window.apply({ type: "expired", id: "p1", at: T + 6, reason: "again" });
    expect(window.usage(query, T + 10).day).toBe(200_000n);
  });

  it("shows in the history as expired, counting nothing, with when and why; a later outcome does not undo it", () => {
    const events: LedgerEvent[] = [reserve("p1", 300_000), sign("p1"), { type: "expired", id: "p1", at: T + 9, reason: "unused past validBefore" }];
    const [entry] = foldHistory(events, { limit: 10, sinceMs: 0, host: undefined });
    expect(entry).toMatchObject({ status: "expired", usdMicros: 0n, expired: { at: T + 9, reason: "unused past validBefore" } });
  });

  it("leaves an unsigned reservation as it is (reconciliation only ever expires signed payments)", () => {
    const [entry] = foldHistory([reserve("p1", 300_000), { type: "expired", id: "p1", at: T + 9, reason: "x" }], { limit: 10, sinceMs: 0, host: undefined });
    expect(entry).toMatchObject({ status: "reserved", usdMicros: 300_000n });
  });
});
