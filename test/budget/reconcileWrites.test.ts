import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileBudgetStore } from "../../src/budget/fileStore.js";
import { RedisBudgetStore } from "../../src/budget/redisStore.js";
import type { BudgetLimits, BudgetStore } from "../../src/budget/types.js";
import { startRedis, type RedisHandle } from "../rig/redis.js";
import { receipt, request, signature, type BackingStore } from "./storeContract.js";

const quiet = { log: () => undefined };
const limits: BudgetLimits = {
  perCall: 100_000n,
  perSession: 1_000_000n,
  perDay: 50_000n,
  hosts: [{ pattern: "api.test", perCall: undefined, perDay: 40_000n }],
  agent: { name: "a1", perDay: 45_000n },
};
const query = { sessionId: "s1", hostPatterns: ["api.test"], agent: "a1" };
const external = (id: string) => ({
  id,
  network: "eip155:84532",
  asset: "0xA",
  transaction: `0x${"2".repeat(64)}`,
  to: "0xD",
  amountAtomic: 7_000n,
  usdMicros: 7_000n,
  blockAt: Date.now(),
});

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const backings: [string, () => BackingStore][] = [
  [
    "file",
    () => {
      const path = join(mkdtempSync(join(tmpdir(), "x402-reconcile-")), "ledger.jsonl");
      return { open: () => FileBudgetStore.open(path, quiet) };
    },
  ],
  [
    "redis",
    () => {
      const wallet = `0x${randomUUID().replace(/-/g, "")}`;
      return { open: () => RedisBudgetStore.open({ url: redis.url, prefix: "reconcile:", wallet, leaseMs: 60_000, timeoutMs: 2_000, logger: quiet }) };
    },
  ],
];

describe.each(backings)("reconciliation's writes on the %s store", (_name, backing) => {
  const stores: BudgetStore[] = [];
  const open = async (b: BackingStore) => {
    const store = await b.open();
    stores.push(store);
    return store;
  };
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  it("an expired payment stops counting in the day, host, agent and session totals, seen by another instance at its next call", async () => {
    const b = backing();
    const server = await open(b);
    const reconciler = await open(b);
    const paid = await server.reserve(request(30_000n, { limits, agent: "a1" }));
    await server.recordSigned(paid, { ...signature, lastValidBlockHeight: "123" });
    await expect(server.reserve(request(30_000n, { limits, agent: "a1" }))).rejects.toMatchObject({ code: expect.stringMatching(/_BUDGET_EXCEEDED$/) });

    expect(await reconciler.expire(paid.id, "validBefore passed unused")).toBe("expired");
    expect(await server.usage(query)).toEqual({ session: 0n, day: 0n, agentDay: 0n, hostsDay: [{ pattern: "api.test", spent: 0n }] });
    // What did not fit before fits now.
    const next = await server.reserve(request(30_000n, { limits, agent: "a1" }));
    await server.release(next);
    // A second run changes nothing.
    expect(await reconciler.expire(paid.id, "validBefore passed unused")).toBe("unchanged");
    expect((await server.usage(query)).day).toBe(0n);

    const [entry] = (await server.history({ limit: 10, sinceMs: 0, host: undefined })).filter((e) => e.id === paid.id);
    expect(entry).toMatchObject({ status: "expired", usdMicros: 0n, expired: { reason: "validBefore passed unused" } });
    expect(entry?.authorization).toMatchObject({ validBefore: signature.validBefore, nonce: signature.nonce, lastValidBlockHeight: "123" });
  });

  it("refuses to expire a reservation never signed", async () => {
    const store = await open(backing());
    const held = await store.reserve(request(10_000n, { limits }));
    await expect(store.expire(held.id, "x")).rejects.toThrow(/never signed/);
    expect((await store.usage(query)).day).toBe(10_000n);
  });

  it("an outcome by id marks a signed payment verified, still counted", async () => {
    const store = await open(backing());
    const paid = await store.reserve(request(10_000n, { limits }));
    await store.recordSigned(paid, signature);
    await store.commit({ id: paid.id }, { status: "verified", receipt: receipt("verified") });
    const [entry] = await store.history({ limit: 10, sinceMs: 0, host: undefined });
    expect(entry).toMatchObject({ id: paid.id, status: "verified", receipt: { transaction: `0x${"1".repeat(64)}` } });
    expect((await store.usage(query)).day).toBe(10_000n);
  });

  it("an external transfer counts in the day's total once, in no host, agent or session total", async () => {
    const b = backing();
    const store = await open(b);
    const other = await open(b);
    expect(await store.recordExternal(external("eip155:84532:0xabc:3"))).toBe("recorded");
    expect(await other.recordExternal(external("eip155:84532:0xabc:3"))).toBe("known");
    expect(await other.usage(query)).toEqual({ session: 0n, day: 7_000n, agentDay: 0n, hostsDay: [{ pattern: "api.test", spent: 0n }] });
    // The contract's limits: a daily cap of 50 000 and no host cap.
    await expect(store.reserve(request(44_000n))).rejects.toMatchObject({ code: "DAILY_BUDGET_EXCEEDED" });
    expect(await store.history({ limit: 10, sinceMs: 0, host: undefined })).toEqual([]);
  });
});
