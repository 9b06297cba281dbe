import { describe, expect, it } from "vitest";
import { MemoryBudgetStore } from "../../src/budget/memoryStore.js";
import type { ReserveRequest } from "../../src/budget/types.js";
import { CodedError } from "../../src/errors.js";

const request = (usdMicros: bigint, sessionId = "s1"): ReserveRequest => ({
  sessionId,
  usdMicros,
  limits: { perCall: 100_000n, perSession: 50_000n },
  meta: { url: "http://api.test/x", host: "api.test", network: "eip155:84532", asset: "0x", amountAtomic: usdMicros, payTo: "0x" },
});

describe("MemoryBudgetStore", () => {
  it("never reserves past the session cap, even with parallel callers", async () => {
    const store = new MemoryBudgetStore();
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => store.reserve(request(10_000n))));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(refused).toHaveLength(7);
    for (const r of refused) expect((r.reason as CodedError).code).toBe("SESSION_BUDGET_EXCEEDED");
    expect((await store.sessionUsage("s1")).spent).toBe(50_000n);
  });

  it("returns released amounts, keeps committed ones, and releases once", async () => {
    const store = new MemoryBudgetStore();
    const a = await store.reserve(request(20_000n));
    const b = await store.reserve(request(20_000n));
    await store.release(a);
    await store.release(a);
    await store.commit(b, { status: "settled", transaction: "0xabc" });
    await store.release(b); // a committed authorization stays counted
    expect((await store.sessionUsage("s1")).spent).toBe(20_000n);
  });

  it("keeps sessions apart and enforces the per-call cap itself", async () => {
    const store = new MemoryBudgetStore();
    await store.reserve(request(50_000n, "a"));
    await expect(store.reserve(request(10_000n, "a"))).rejects.toMatchObject({ code: "SESSION_BUDGET_EXCEEDED" });
    await expect(store.reserve(request(10_000n, "b"))).resolves.toBeDefined();
    await expect(store.reserve({ ...request(200_000n, "c"), limits: { perCall: 100_000n, perSession: 10n ** 9n } })).rejects.toMatchObject({
      code: "PRICE_ABOVE_CALL_LIMIT",
    });
  });
});
