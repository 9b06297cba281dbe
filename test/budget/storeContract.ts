import { describe, expect, it } from "vitest";
import { assertWithinCaps } from "../../src/budget/caps.js";
import type { BudgetLimits, BudgetStore, ReserveRequest, Usage } from "../../src/budget/types.js";
import type { Receipt } from "../../src/payment/receipt.js";

/** One budget (a ledger file, or one wallet's keys in Redis) that several store instances can open. */
export interface BackingStore {
  /** Another instance on the same budget, as another server process would open it. */
  open(now?: () => number): Promise<BudgetStore>;
}

const T0 = Date.parse("2026-03-01T00:00:00Z");
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const limits: BudgetLimits = { perCall: 100_000n, perSession: 1_000_000n, perDay: 50_000n, hosts: [] };

export function request(usdMicros: bigint, overrides: Partial<ReserveRequest> & { host?: string; agent?: string } = {}): ReserveRequest {
  const { host = "api.test", agent, ...rest } = overrides;
  return {
    sessionId: "s1",
    usdMicros,
    limits,
    meta: { ...(agent !== undefined ? { agent } : {}), url: `http://${host}/x`, host, network: "eip155:84532", asset: "0xA", amountAtomic: usdMicros, payTo: "0xB" },
    ...rest,
  };
}

export function receipt(status: Receipt["status"], resource = "http://api.test/x"): Receipt {
  return {
    status,
    amount: "0.01",
    amountAtomic: "10000",
    asset: "0xA",
    symbol: "USDC",
    network: "eip155:84532",
    payTo: "0xB",
    payer: "0xC",
    transaction: `0x${"1".repeat(64)}`,
    explorerUrl: null,
    scheme: "exact",
    x402Version: 2,
    resource,
    paidAt: new Date(T0).toISOString(),
  };
}

/** A signature record far from expiry, for stores that check none of its fields. */
export const signature = { payer: "0xC", validBefore: 2_000_000_000, nonce: "0x01" };

/**
 * The refusal assertWithinCaps() gives for this request at this usage: the store must throw
 * exactly it (code, message and details), so every store refuses in the same words.
 */
async function expectRefusal(promise: Promise<unknown>, req: ReserveRequest, usage: Partial<Usage>, atSigning = false): Promise<void> {
  const full: Usage = {
    session: 0n,
    day: 0n,
    agentDay: 0n,
    hostsDay: req.limits.hosts.map((h) => ({ pattern: h.pattern, spent: 0n })),
    ...usage,
  };
  let expected: unknown;
  try {
    assertWithinCaps({ usdMicros: req.usdMicros, limits: req.limits, usage: full, url: req.meta.url, perCallFromCaller: req.perCallFromCaller, atSigning });
  } catch (error) {
    expected = error;
  }
  if (!(expected instanceof Error)) throw new Error("test bug: these caps allow the request");
  const actual = await promise.then(
    () => new Error("the store reserved past a cap"),
    (error: unknown) => error,
  );
  expect(actual).toBeInstanceOf(Error);
  const pick = (e: unknown) => ({ code: (e as { code?: string }).code, message: (e as Error).message, details: (e as { details?: unknown }).details });
  expect(pick(actual)).toEqual(pick(expected));
}

/**
 * The BudgetStore contract: what every store (file, Redis) must do the same way. `fresh`
 * gives a new, empty budget for each test.
 */
export function describeBudgetStoreContract(name: string, fresh: () => Promise<BackingStore>): void {
  describe(`${name} (BudgetStore contract)`, () => {
    it("reserves within the caps and counts it in the session, day, host and agent totals", async () => {
      const store = await (await fresh()).open();
      const r = await store.reserve(request(12_345n, { agent: "alice" }));
      expect(r).toMatchObject({ sessionId: "s1", usdMicros: 12_345n });
      expect(typeof r.id).toBe("string");
      expect(await store.usage({ sessionId: "s1", hostPatterns: ["api.test", "*.test", "other.test"], agent: "alice" })).toEqual({
        session: 12_345n,
        day: 12_345n,
        agentDay: 12_345n,
        hostsDay: [
          { pattern: "api.test", spent: 12_345n },
          { pattern: "*.test", spent: 12_345n },
          { pattern: "other.test", spent: 0n },
        ],
      });
      expect(await store.usage({ sessionId: "s2", hostPatterns: [], agent: "bob" })).toEqual({ session: 0n, day: 12_345n, agentDay: 0n, hostsDay: [] });
      await store.close();
    });

    it("refuses above the per-call limit, from the config or from max_payment, with the caps' own message", async () => {
      const store = await (await fresh()).open();
      await store.reserve(request(100_000n, { limits: { ...limits, perDay: 1_000_000n } }));
      const over = request(100_001n, { limits: { ...limits, perDay: 1_000_000n } });
      await expectRefusal(store.reserve(over), over, { session: 100_000n, day: 100_000n });
      const lowered = request(30_000n, { limits: { ...limits, perCall: 20_000n }, perCallFromCaller: true });
      await expectRefusal(store.reserve(lowered), lowered, { session: 100_000n, day: 100_000n });
      expect((await store.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(100_000n);
      await store.close();
    });

    it("refuses past the session budget, and another session still has its own", async () => {
      const store = await (await fresh()).open();
      const session = { ...limits, perSession: 25_000n };
      await store.reserve(request(10_000n, { limits: session }));
      await store.reserve(request(10_000n, { limits: session }));
      const third = request(10_000n, { limits: session });
      await expectRefusal(store.reserve(third), third, { session: 20_000n, day: 20_000n });
      await store.reserve(request(10_000n, { limits: session, sessionId: "s2" }));
      expect((await store.usage({ sessionId: "s1", hostPatterns: [] })).session).toBe(20_000n);
      expect((await store.usage({ sessionId: "s2", hostPatterns: [] })).session).toBe(10_000n);
      await store.close();
    });

    it("refuses past the daily budget, exactly at the cap and not a micro more", async () => {
      const store = await (await fresh()).open();
      await store.reserve(request(30_000n));
      await store.reserve(request(19_999n, { sessionId: "s2" }));
      const over = request(2n, { sessionId: "s3" });
      await expectRefusal(store.reserve(over), over, { day: 49_999n });
      await store.reserve(request(1n, { sessionId: "s3" }));
      const after = request(1n, { sessionId: "s4" });
      await expectRefusal(store.reserve(after), after, { day: 50_000n });
      await store.close();
    });

    it("applies host limits (per call and per day) to the hosts matching their pattern only", async () => {
      const store = await (await fresh()).open();
      const hostLimits = { ...limits, perDay: 10_000_000n, hosts: [{ pattern: "*.example.com", perCall: 15_000n, perDay: 25_000n }] };
      const to = (host: string, usd = 10_000n) =>
        request(usd, { host, limits: host.endsWith(".example.com") ? hostLimits : { ...hostLimits, hosts: [] } });
      const tooBig = to("a.example.com", 15_001n);
      await expectRefusal(store.reserve(tooBig), tooBig, {});
      await store.reserve(to("a.example.com"));
      await store.reserve(to("other.test"));
      await store.reserve(to("B.Example.com."));
      const third = to("c.example.com");
      await expectRefusal(store.reserve(third), third, { session: 30_000n, day: 30_000n, hostsDay: [{ pattern: "*.example.com", spent: 20_000n }] });
      await store.reserve(to("example.com")); // the apex does not match *.example.com
      expect((await store.usage({ sessionId: "s1", hostPatterns: ["*.example.com", "other.test"] })).hostsDay).toEqual([
        { pattern: "*.example.com", spent: 20_000n },
        { pattern: "other.test", spent: 10_000n },
      ]);
      await store.close();
    });

    it("applies an agent's daily cap on top of the wallet's, each agent on its own", async () => {
      const store = await (await fresh()).open();
      const as = (agent: string, perDay: bigint | undefined) =>
        request(10_000n, { agent, sessionId: `session-of-${agent}`, limits: { ...limits, perDay: 1_000_000n, agent: { name: agent, perDay } } });
      await store.reserve(as("alice", 20_000n));
      await store.reserve(as("alice", 20_000n));
      const third = as("alice", 20_000n);
      await expectRefusal(store.reserve(third), third, { session: 20_000n, day: 20_000n, agentDay: 20_000n });
      await store.reserve(as("bob", 20_000n));
      await store.reserve(as("carol", undefined)); // no agent cap: only the wallet's
      expect((await store.usage({ sessionId: "x", hostPatterns: [], agent: "alice" })).agentDay).toBe(20_000n);
      expect((await store.usage({ sessionId: "x", hostPatterns: [], agent: "bob" })).agentDay).toBe(10_000n);
      // The wallet's cap still binds an agent whose own cap has room.
      const wallet = request(10_000n, { agent: "bob", sessionId: "b2", limits: { ...limits, perDay: 40_000n, agent: { name: "bob", perDay: 1_000_000n } } });
      await expectRefusal(store.reserve(wallet), wallet, { day: 40_000n, agentDay: 10_000n });
      await store.close();
    });

    it("release gives the amount back; after recordSigned or commit it does not (signed money is spent)", async () => {
      const store = await (await fresh()).open();
      const released = await store.reserve(request(10_000n));
      const signed = await store.reserve(request(10_000n));
      const committed = await store.reserve(request(10_000n));
      await store.release(released);
      await store.recordSigned(signed, signature);
      await store.release(signed);
      await store.recordSigned(committed, signature);
      await store.commit(committed, { status: "rejected", reason: "insufficient funds", receipt: receipt("rejected") });
      await store.release(committed);
      expect(await store.usage({ sessionId: "s1", hostPatterns: ["api.test"] })).toEqual({
        session: 20_000n,
        day: 20_000n,
        agentDay: 0n,
        hostsDay: [{ pattern: "api.test", spent: 20_000n }],
      });
      await store.release(released); // twice: still given back once
      expect((await store.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(20_000n);
      await store.close();
    });

    it("keeps the payment-identifier id of a sign line: another instance's history shows it, before any outcome", async () => {
      const backing = await fresh();
      const store = await backing.open();
      const other = await backing.open();
      const paid = await store.reserve(request(10_000n));
      await store.recordSigned(paid, { ...signature, paymentId: "pay_0123456789abcdef0123456789abcdef" });
      const plain = await store.reserve(request(10_000n));
      await store.recordSigned(plain, { ...signature, nonce: "0x02" });
      const [withoutId, withId] = await other.history({ limit: 10, sinceMs: 0, host: undefined });
      expect(withId).toMatchObject({ id: paid.id, status: "signed", paymentId: "pay_0123456789abcdef0123456789abcdef" });
      expect(withoutId!.id).toBe(plain.id);
      expect(withoutId!.paymentId).toBeUndefined();
      await Promise.all([store.close(), other.close()]);
    });

    it("records outcomes: history shows each payment's latest status, payer and receipt, newest first, released ones left out", async () => {
      let now = T0;
      const store = await (await fresh()).open(() => now);
      const a = await store.reserve(request(10_000n));
      now += 1_000;
      await store.recordSigned(a, signature);
      await store.commit(a, { status: "settled", receipt: receipt("settled") });
      now += 1_000;
      await store.commit(a, { status: "verified", receipt: receipt("verified") });
      const b = await store.reserve(request(20_000n, { host: "other.test" }));
      await store.release(b);
      now += 1_000;
      const c = await store.reserve(request(5_000n));
      await store.recordSigned(c, { ...signature, nonce: "0x02" });
      now += 1_000;
      const d = await store.reserve(request(1_000n, { host: "third.test" }));
      now += 1_000;
      const e = await store.reserve(request(2_000n));
      await store.recordSigned(e, signature);
      await store.commit(e, { status: "rejected", reason: "no", receipt: receipt("rejected") });
      const history = await store.history({ limit: 10, sinceMs: 0, host: undefined });
      expect(history.map((h) => [h.id, h.status])).toEqual([
        [e.id, "rejected"],
        [d.id, "reserved"],
        [c.id, "signed"],
        [a.id, "verified"],
      ]);
      const [, reserved, signedOnly, verified] = history;
      expect(verified).toMatchObject({ at: T0, usdMicros: 10_000n, payer: "0xC", receipt: receipt("verified") });
      expect(verified!.meta).toMatchObject({ url: "http://api.test/x", host: "api.test", network: "eip155:84532", asset: "0xA", amountAtomic: 10_000n, payTo: "0xB" });
      expect(signedOnly).toMatchObject({ payer: "0xC", receipt: null });
      expect(reserved).toMatchObject({ payer: undefined, receipt: null, usdMicros: 1_000n });
      expect((await store.history({ limit: 2, sinceMs: 0, host: undefined })).map((h) => h.id)).toEqual([e.id, d.id]);
      await store.close();
    });

    it("filters history by time, host and agent", async () => {
      let now = T0;
      const store = await (await fresh()).open(() => now);
      const wide = { ...limits, perDay: 1_000_000n };
      // Signed at once, so that no store may take them for abandoned while the clock moves on.
      const pay = async (req: ReserveRequest) => {
        const r = await store.reserve(req);
        await store.recordSigned(r, signature);
        return r;
      };
      const early = await pay(request(1_000n, { limits: wide, agent: "alice" }));
      now += HOUR;
      const mid = await pay(request(1_000n, { limits: wide, host: "a.example.com", agent: "bob" }));
      now += HOUR;
      const late = await pay(request(1_000n, { limits: wide, host: "b.example.com", agent: "alice" }));
      const ids = (entries: { id: string }[]) => entries.map((e) => e.id);
      expect(ids(await store.history({ limit: 10, sinceMs: T0 + HOUR, host: undefined }))).toEqual([late.id, mid.id]);
      expect(ids(await store.history({ limit: 10, sinceMs: T0 + HOUR + 1, host: undefined }))).toEqual([late.id]);
      expect(ids(await store.history({ limit: 10, sinceMs: 0, host: "*.example.com" }))).toEqual([late.id, mid.id]);
      expect(ids(await store.history({ limit: 10, sinceMs: 0, host: "api.test" }))).toEqual([early.id]);
      expect(ids(await store.history({ limit: 10, sinceMs: 0, host: undefined, agent: "alice" }))).toEqual([late.id, early.id]);
      expect(ids(await store.history({ limit: 10, sinceMs: 0, host: "*.example.com", agent: "bob" }))).toEqual([mid.id]);
      expect(await store.history({ limit: 10, sinceMs: 0, host: undefined, agent: "nobody" })).toEqual([]);
      await store.close();
    });

    it("counts a rolling 24 hours: a payment stops counting 24 h after it was reserved, also after a reopen", async () => {
      let now = T0;
      const backing = await fresh();
      const store = await backing.open(() => now);
      const first = await store.reserve(request(30_000n));
      await store.recordSigned(first, signature);
      now += 23 * HOUR;
      const second = await store.reserve(request(20_000n, { sessionId: "s2" }));
      await store.recordSigned(second, signature);
      const refused = request(10_000n, { sessionId: "s3" });
      await expectRefusal(store.reserve(refused), refused, { day: 50_000n });
      now = T0 + DAY - 1;
      expect((await store.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(50_000n);
      now = T0 + DAY;
      // The day forgets it; the session it was paid in still counts it.
      expect(await store.usage({ sessionId: "s1", hostPatterns: ["api.test"] })).toEqual({
        session: 30_000n,
        day: 20_000n,
        agentDay: 0n,
        hostsDay: [{ pattern: "api.test", spent: 20_000n }],
      });
      await store.recordSigned(await store.reserve(request(30_000n, { sessionId: "s3" })), signature);
      await store.close();
      const reopened = await backing.open(() => now);
      expect((await reopened.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(50_000n);
      now += 23 * HOUR;
      expect((await reopened.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(30_000n);
      await reopened.close();
    });

    it("counts a payment in the rolling 24 h from its signing, not its reservation (a long approval wait), also after a reopen", async () => {
      let now = T0;
      const backing = await fresh();
      const store = await backing.open(() => now);
      const waited = await store.reserve(request(50_000n));
      now = T0 + 10 * HOUR;
      await store.recordSigned(waited, signature);
      now = T0 + DAY + MINUTE;
      // Reserved more than 24 h ago, signed 14 h ago: a second full budget would be signed within 24 h of it.
      expect((await store.usage({ sessionId: "x", hostPatterns: ["api.test"] })).hostsDay).toEqual([{ pattern: "api.test", spent: 50_000n }]);
      const second = request(50_000n, { sessionId: "s2" });
      await expectRefusal(store.reserve(second), second, { day: 50_000n });
      await store.close();
      const reopened = await backing.open(() => now);
      expect((await reopened.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(50_000n);
      await expectRefusal(reopened.reserve(second), second, { day: 50_000n });
      now = T0 + 10 * HOUR + DAY - 1;
      expect((await reopened.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(50_000n);
      now = T0 + 10 * HOUR + DAY;
      expect((await reopened.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(0n);
      await reopened.recordSigned(await reopened.reserve(second), signature);
      await reopened.close();
    });

    it("checks every cap again at signing: spent meanwhile by a server with looser caps, or caps tightened since, refuses and gives the amount back", async () => {
      let now = T0;
      const backing = await fresh();
      const store = await backing.open(() => now);
      const other = await backing.open(() => now);
      const waiting = await store.reserve(request(30_000n));
      // Within a lease (a store may give back what stays unsigned for long; that is another test).
      now += 10_000;
      // Another server whose daily cap is 0.10 USD reserves while this payment waits for approval.
      await other.reserve(request(40_000n, { sessionId: "other", limits: { ...limits, perDay: 100_000n } }));
      now += 10_000;
      await expectRefusal(store.recordSigned(waiting, signature), request(30_000n), { day: 40_000n }, true);
      expect(await store.usage({ sessionId: "s1", hostPatterns: ["api.test"] })).toEqual({
        session: 0n,
        day: 40_000n,
        agentDay: 0n,
        hostsDay: [{ pattern: "api.test", spent: 40_000n }],
      });
      expect((await other.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(40_000n);
      expect((await store.history({ limit: 10, sinceMs: 0, host: undefined })).map((h) => h.id)).not.toContain(waiting.id);

      // The caps a reservation carries are the ones checked at signing: each cap, tightened, refuses.
      const wide = { ...limits, perDay: 1_000_000n };
      const tightened: [string, BudgetLimits, Partial<Usage>][] = [
        ["day", { ...wide, perDay: 45_000n }, { day: 40_000n }],
        ["session", { ...wide, perSession: 9_999n }, {}],
        ["per call", { ...wide, perCall: 9_999n }, {}],
        ["host per day", { ...wide, hosts: [{ pattern: "*.test", perCall: undefined, perDay: 49_999n }] }, { day: 40_000n, hostsDay: [{ pattern: "*.test", spent: 40_000n }] }],
        ["agent per day", { ...wide, agent: { name: "alice", perDay: 9_999n } }, { day: 40_000n }],
      ];
      for (const [cap, tighter, usage] of tightened) {
        const r = await store.reserve(request(10_000n, { agent: "alice", sessionId: `tight-${cap}`, limits: wide }));
        const req = request(10_000n, { agent: "alice", sessionId: `tight-${cap}`, limits: tighter });
        await expectRefusal(store.recordSigned({ ...r, request: req }, signature), req, usage, true);
        expect((await store.usage({ sessionId: `tight-${cap}`, hostPatterns: [] })).session).toBe(0n);
      }
      expect((await store.usage({ sessionId: "x", hostPatterns: [], agent: "alice" })).agentDay).toBe(0n);
      // Within every cap, the same check lets it through, and it counts for good.
      const fits = await store.reserve(request(10_000n));
      await store.recordSigned(fits, signature);
      await store.release(fits);
      expect((await store.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(50_000n);
      await Promise.all([store.close(), other.close()]);
    });

    it("settleActual counts a signed upto payment at the amount taken and gives the rest back, once, in every total, also after a reopen", async () => {
      let now = T0;
      const backing = await fresh();
      const store = await backing.open(() => now);
      const other = await backing.open(() => now);
      const upto = await store.reserve(request(50_000n, { agent: "alice" }));
      await store.recordSigned(upto, signature);
      const full = request(1n, { sessionId: "s2" });
      await expectRefusal(other.reserve(full), full, { day: 50_000n });
      now += MINUTE;
      await store.settleActual(upto, 12_345n);
      const counted = { session: 12_345n, day: 12_345n, agentDay: 12_345n, hostsDay: [{ pattern: "*.test", spent: 12_345n }] };
      const query = { sessionId: "s1", hostPatterns: ["*.test"], agent: "alice" };
      expect(await store.usage(query)).toEqual(counted);
      expect(await other.usage(query)).toEqual(counted);
      // Again, or with more than is counted now: nothing changes (a store only ever lowers a signed amount).
      await other.settleActual(upto, 12_345n);
      await store.settleActual(upto, 40_000n);
      expect(await store.usage(query)).toEqual(counted);
      const [entry] = await store.history({ limit: 1, sinceMs: 0, host: undefined });
      expect(entry).toMatchObject({ id: upto.id, usdMicros: 12_345n, status: "signed" });
      // The rest is free again for anyone, exactly: 50 000 - 12 345 fits, a micro more does not.
      const rest = await other.reserve(request(37_655n, { sessionId: "s2" }));
      const over = request(1n, { sessionId: "s3" });
      await expectRefusal(store.reserve(over), over, { day: 50_000n });
      await other.release(rest);
      // Nothing taken: it counts 0, and ages out of the day 24 h after its signing as any payment.
      const zero = await store.reserve(request(20_000n));
      await store.recordSigned(zero, signature);
      await store.settleActual(zero, 0n);
      expect((await store.usage(query)).day).toBe(12_345n);
      await Promise.all([store.close(), other.close()]);
      const reopened = await backing.open(() => now);
      expect(await reopened.usage(query)).toEqual(counted);
      now = T0 + DAY;
      expect((await reopened.usage(query)).day).toBe(0n);
      await reopened.close();
    });

    it("settleActual never lowers a reservation that was not signed (it only follows a verified settlement)", async () => {
      const store = await (await fresh()).open();
      const held = await store.reserve(request(30_000n));
      await store.settleActual(held, 1_000n);
      expect((await store.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(30_000n);
      await store.release(held);
      expect((await store.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(0n);
      await store.close();
    });

    it("never reserves past the daily cap when many store instances reserve at once", async () => {
      const backing = await fresh();
      const stores = await Promise.all(Array.from({ length: 6 }, () => backing.open()));
      const results = await Promise.allSettled(
        stores.flatMap((store, i) => Array.from({ length: 8 }, (_, j) => store.reserve(request(7_000n, { sessionId: `s${i}-${j}` })))),
      );
      const granted = results.filter((r) => r.status === "fulfilled");
      expect(granted).toHaveLength(7); // 7 × 7 000 = 49 000 ≤ 50 000 < 8 × 7 000
      for (const r of results) if (r.status === "rejected") expect((r.reason as { code: string }).code).toBe("DAILY_BUDGET_EXCEEDED");
      for (const store of stores) expect((await store.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(49_000n);
      await Promise.all(stores.map((s) => s.close()));
    });

    it("keeps totals, statuses and history across a reopen", async () => {
      const backing = await fresh();
      const store = await backing.open();
      const signed = await store.reserve(request(10_000n, { agent: "alice" }));
      await store.recordSigned(signed, signature);
      const settled = await store.reserve(request(15_000n, { host: "other.test" }));
      await store.recordSigned(settled, signature);
      await store.commit(settled, { status: "settled", receipt: receipt("settled") });
      const released = await store.reserve(request(5_000n));
      await store.release(released);
      const before = await store.usage({ sessionId: "s1", hostPatterns: ["api.test", "other.test"], agent: "alice" });
      const historyBefore = await store.history({ limit: 10, sinceMs: 0, host: undefined });
      await store.close();
      const reopened = await backing.open();
      expect(await reopened.usage({ sessionId: "s1", hostPatterns: ["api.test", "other.test"], agent: "alice" })).toEqual(before);
      expect(before).toMatchObject({ session: 25_000n, day: 25_000n, agentDay: 10_000n });
      expect(await reopened.history({ limit: 10, sinceMs: 0, host: undefined })).toEqual(historyBefore);
      expect(historyBefore.map((h) => h.status)).toEqual(["settled", "signed"]);
      await reopened.release(signed); // a stray release after a reopen gives nothing back
      const over = request(30_000n);
      await expectRefusal(reopened.reserve(over), over, { session: 25_000n, day: 25_000n });
      await reopened.close();
    });
  });
}
