import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisBudgetStore } from "../../src/budget/redisStore.js";
import { walletKeys } from "../../src/budget/redisWire.js";
import type { BudgetStore } from "../../src/budget/types.js";
import { startRedis, type RedisHandle } from "../rig/redis.js";
import { receipt, request, signature } from "./storeContract.js";

const TIMEOUT_MS = 300;
const LEASE_MS = 60_000;

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function newWallet(): string {
  return `0x${randomUUID().replace(/-/g, "")}`;
}

function openStore(wallet: string, now?: () => number, url = redis.url): Promise<RedisBudgetStore> {
  return RedisBudgetStore.open({ url, prefix: "faults:", wallet, leaseMs: LEASE_MS, timeoutMs: TIMEOUT_MS, logger: { log: () => undefined }, ...(now ? { now, clockForTests: now } : {}) });
}

async function refusal(promise: Promise<unknown>): Promise<{ code: string | undefined; message: string; ms: number }> {
  const started = performance.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string },
  );
  if (!error) throw new Error("expected a refusal, got an answer");
  return { code: error.code, message: error.message, ms: performance.now() - started };
}

/** Retries until the store answers again (the client reconnects with a backoff of at most 1 s). */
async function untilAnswering(store: BudgetStore, withinMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      await store.usage({ sessionId: "probe", hostPatterns: [] });
      return performance.now() - started;
    } catch (error) {
      if (performance.now() - started > withinMs) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const report = (line: string) => process.stderr.write(`redis faults: ${line}\n`);

describe("RedisBudgetStore under faults (a real redis-server)", () => {
  it("Redis down: every operation refuses at once with BUDGET_STORE_UNAVAILABLE; back up, nothing was lost and nothing counted twice", async () => {
    const store = await openStore(newWallet());
    const paid = await store.reserve(request(10_000n));
    await store.recordSigned(paid, signature);
    const pending = await store.reserve(request(10_000n, { sessionId: "s2" }));
    const before = await store.usage({ sessionId: "s1", hostPatterns: ["api.test"] });
    expect(before.day).toBe(20_000n);

    await redis.stop();
    const refusals = [
      await refusal(store.reserve(request(1_000n))),
      await refusal(store.recordSigned(pending, signature)),
      await refusal(store.usage({ sessionId: "s1", hostPatterns: [] })),
      await refusal(store.history({ limit: 10, sinceMs: 0, host: undefined })),
      await refusal(store.release(pending)),
    ];
    for (const r of refusals) {
      expect(r.code).toBe("BUDGET_STORE_UNAVAILABLE");
      expect(r.message).toContain(redis.url.replace(/\/?$/, ""));
      expect(r.message).toMatch(/Check the Redis URL in the config and that the Redis server is up/);
      expect(r.ms).toBeLessThan(TIMEOUT_MS + 200);
    }
    expect(refusals[0]!.message).toMatch(/Nothing was paid/);
    expect(refusals[1]!.message).toMatch(/The signed payment was not sent/);
    report(`Redis stopped: refusals in ${refusals.map((r) => r.ms.toFixed(1)).join(", ")} ms (reserve, recordSigned, usage, history, release)`);

    await redis.restart();
    const back = await untilAnswering(store, 5_000);
    report(`Redis restarted: the open store answered again after ${back.toFixed(0)} ms`);
    const after = await store.usage({ sessionId: "s1", hostPatterns: ["api.test"] });
    // appendfsync always: everything acknowledged before the crash is back, and the release
    // refused while Redis was down did not happen, so the pending reservation still counts.
    expect(after).toEqual(before);
    await store.release(pending);
    expect((await store.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(10_000n);
    const history = await store.history({ limit: 10, sinceMs: 0, host: undefined });
    expect(history.map((h) => [h.id, h.status])).toEqual([[paid.id, "signed"]]);
    await store.close();
  });

  it("a store opened while Redis is down starts, refuses every payment clearly (password never shown), and pays once Redis is back", async () => {
    const password = "s3cret-Pa55word";
    const url = redis.url.replace("redis://", `redis://:${password}@`);
    const lines: string[] = [];
    await redis.stop();
    try {
      const started = performance.now();
      const store = await RedisBudgetStore.open({ url, prefix: "faults:", wallet: newWallet(), leaseMs: LEASE_MS, timeoutMs: TIMEOUT_MS, logger: { log: (level, m) => lines.push(`${level}: ${m}`) } });
      report(`opening while Redis is down: returned in ${(performance.now() - started).toFixed(1)} ms`);
      expect(lines.join("\n")).toMatch(/warning: The Redis budget store at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ did not answer at start-up .*Payments are refused until it answers/);
      const r = await refusal(store.reserve(request(10_000n)));
      expect(r.code).toBe("BUDGET_STORE_UNAVAILABLE");
      expect(r.message).toContain(`redis://:***@127.0.0.1:${redis.port}`);
      expect(r.ms).toBeLessThan(TIMEOUT_MS + 100);
      for (const text of [r.message, ...lines]) expect(text).not.toContain(password);
      await redis.restart();
      await untilAnswering(store, 5_000);
      // This server has no password: the AUTH of the URL is refused, then ioredis goes on without it.
      await store.reserve(request(10_000n));
      expect((await store.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(10_000n);
      await store.close();
    } finally {
      if (redis.pid() === undefined) await redis.restart();
    }
  });

  it("a pause longer than the timeout: BUDGET_STORE_UNAVAILABLE within the timeout, nothing reserved twice, the stray reservation returned after its lease", async () => {
    let now = Date.now();
    const wallet = newWallet();
    const store = await openStore(wallet, () => now);
    await store.recordSigned(await store.reserve(request(10_000n)), signature);

    const pause = redis.pause(TIMEOUT_MS * 4);
    await new Promise((r) => setTimeout(r, 50));
    const frozen = await refusal(store.reserve(request(10_000n, { sessionId: "s2" })));
    await pause;
    report(`Redis frozen (SIGSTOP) for ${TIMEOUT_MS * 4} ms: reserve refused after ${frozen.ms.toFixed(0)} ms (timeout ${TIMEOUT_MS} ms)`);
    expect(frozen.code).toBe("BUDGET_STORE_UNAVAILABLE");
    expect(frozen.message).toMatch(/timed out|timeout/i);
    expect(frozen.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(frozen.ms).toBeLessThan(TIMEOUT_MS + 300);

    await untilAnswering(store, 5_000);
    // The frozen server ran the script once it woke up: the caller was told no and signed
    // nothing, so that amount counts (once, never twice) until its lease runs out.
    const raw = new Redis(redis.url);
    try {
      const ledger = walletKeys("faults:", wallet)[7]!;
      const reserves = (await raw.xrange(ledger, "-", "+")).filter(([, fields]) => JSON.parse(fields[1]!).type === "reserve");
      expect(reserves.length).toBeGreaterThanOrEqual(1);
      expect(reserves.length).toBeLessThanOrEqual(2);
      report(`after the pause: ${reserves.length - 1} stray reservation(s) of the refused call in the ledger`);
      const day = (await store.usage({ sessionId: "x", hostPatterns: [] })).day;
      expect(day).toBe(BigInt(reserves.length) * 10_000n);
      now += LEASE_MS + 1;
      expect((await store.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(10_000n);
    } finally {
      raw.disconnect();
    }
    await store.close();
  });

  it("while Redis is frozen, each of several payments started one after another is refused within its own timeout (none waits behind another's)", async () => {
    const store = await openStore(newWallet());
    await store.usage({ sessionId: "warm", hostPatterns: [] });
    const pause = redis.pause(TIMEOUT_MS * 4);
    await new Promise((r) => setTimeout(r, 50));
    const staggered: Promise<{ code: string | undefined; ms: number }>[] = [];
    for (let i = 0; i < 3; i++) {
      staggered.push(refusal(store.reserve(request(10_000n, { sessionId: `frozen-${i}` }))));
      await new Promise((r) => setTimeout(r, TIMEOUT_MS / 10));
    }
    const refused = await Promise.all(staggered);
    await pause;
    report(`Redis frozen: staggered reserves refused after ${refused.map((r) => r.ms.toFixed(0)).join(", ")} ms (timeout ${TIMEOUT_MS} ms)`);
    for (const r of refused) {
      expect(r.code).toBe("BUDGET_STORE_UNAVAILABLE");
      expect(r.ms).toBeLessThan(TIMEOUT_MS + 200);
    }
    await untilAnswering(store, 5_000);
    await store.close();
  });

  it("a script error (a budget key of the wrong type) refuses with BUDGET_STORE_UNAVAILABLE and reserves nothing", async () => {
    const wallet = newWallet();
    const store = await openStore(wallet);
    const raw = new Redis(redis.url);
    try {
      await raw.hset(walletKeys("faults:", wallet)[3]!, "not", "a number");
      const r = await refusal(store.reserve(request(10_000n)));
      expect(r.code).toBe("BUDGET_STORE_UNAVAILABLE");
      expect(r.message).toMatch(/WRONGTYPE/);
      expect(await raw.exists(walletKeys("faults:", wallet)[2]!)).toBe(0);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});

describe("RedisBudgetStore leases: a server that dies after reserving", () => {
  it("an unsigned reservation of a dead store is returned only after its lease; a signed one counts for good", async () => {
    let now = Date.parse("2026-03-01T00:00:00Z");
    const wallet = newWallet();
    const dead = await openStore(wallet, () => now);
    const abandoned = await dead.reserve(request(30_000n, { sessionId: "dead" }));
    const signed = await dead.reserve(request(20_000n, { sessionId: "dead" }));
    await dead.recordSigned(signed, signature);
    // The process is gone: its connection drops without a word.
    (dead as unknown as { redis: Redis }).redis.disconnect();

    const survivor = await openStore(wallet, () => now);
    const day = async () => (await survivor.usage({ sessionId: "x", hostPatterns: [] })).day;
    now += LEASE_MS - 1;
    expect(await day()).toBe(50_000n);
    await expect(survivor.reserve(request(10_000n))).rejects.toMatchObject({ code: "DAILY_BUDGET_EXCEEDED" });
    now += 2;
    expect(await day()).toBe(20_000n);
    await survivor.recordSigned(await survivor.reserve(request(30_000n)), signature);
    await expect(survivor.reserve(request(1n))).rejects.toMatchObject({ code: "DAILY_BUDGET_EXCEEDED" });
    now += 23 * 3_600_000;
    expect(await day()).toBe(50_000n); // signed: no lease, counted for the whole 24 h

    const history = await survivor.history({ limit: 10, sinceMs: 0, host: undefined });
    expect(history.map((h) => h.id)).not.toContain(abandoned.id);
    expect(history.find((h) => h.id === signed.id)?.status).toBe("signed");

    // Were the "dead" server only slow, it may not sign what was given back.
    const late = await openStore(wallet, () => now);
    await expect(late.recordSigned(abandoned, signature)).rejects.toMatchObject({
      code: "BUDGET_STORE_UNAVAILABLE",
      message: expect.stringMatching(/given back before it was signed.*not sent/),
    });
    await late.commit(signed, { status: "settled", receipt: receipt("settled") });
    expect(await day()).toBe(50_000n);
    await Promise.all([survivor.close(), late.close()]);
  });

  it("keeps every key of a wallet under one hash tag, so one wallet lives in one Redis Cluster slot", async () => {
    const wallet = newWallet();
    const store = await openStore(wallet);
    const r = await store.reserve(request(10_000n, { agent: "alice", limits: { perCall: 100_000n, perSession: 1_000_000n, perDay: 50_000n, hosts: [{ pattern: "api.test", perCall: undefined, perDay: 40_000n }], agent: { name: "alice", perDay: 40_000n } } }));
    await store.recordSigned(r, signature);
    await store.commit(r, { status: "settled", receipt: receipt("settled") });
    const raw = new Redis(redis.url);
    try {
      const keys = await raw.keys(`*${wallet}*`);
      expect(keys.length).toBeGreaterThanOrEqual(7);
      for (const key of keys) expect(key.startsWith(`faults:{${wallet}}:`)).toBe(true);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});
