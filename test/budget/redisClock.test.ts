import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisBudgetStore } from "../../src/budget/redisStore.js";
import { walletKeys } from "../../src/budget/redisWire.js";
import { startRedis, type RedisHandle } from "../rig/redis.js";
import { request, signature } from "./storeContract.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const LEASE_MS = 60_000;

let redis: RedisHandle;
let raw: Redis;
beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
});
afterAll(async () => {
  raw?.disconnect();
  await redis?.stop();
});

function newWallet(): string {
  return `0x${randomUUID().replace(/-/g, "")}`;
}

/** A server of the fleet whose own clock reads `now()`; `clockForTests` stands in for Redis' clock when given. */
function server(wallet: string, now: () => number, clockForTests?: () => number): Promise<RedisBudgetStore> {
  return RedisBudgetStore.open({
    url: redis.url,
    prefix: "clock:",
    wallet,
    leaseMs: LEASE_MS,
    timeoutMs: 2_000,
    logger: { log: () => undefined },
    now,
    ...(clockForTests ? { clockForTests } : {}),
  });
}

async function redisTime(): Promise<number> {
  const [seconds, micros] = await raw.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

describe("RedisBudgetStore: servers whose clocks disagree share one budget on Redis' clock", () => {
  it("a server 10 minutes fast neither drops another server's spend early nor signs a second daily budget (Redis' TIME)", async () => {
    const wallet = newWallet();
    const started = Date.now();
    let elapsed = 0;
    const right = await server(wallet, () => started + elapsed);
    const fast = await server(wallet, () => started + elapsed + 10 * MINUTE);
    const before = await redisTime();
    await right.recordSigned(await right.reserve(request(50_000n)), signature);
    const after = await redisTime();

    // Both servers believe 23 h 55 min went by; for the fast one, 24 h 05 min.
    elapsed = DAY - 5 * MINUTE;
    await expect(fast.reserve(request(50_000n, { sessionId: "fast" }))).rejects.toMatchObject({ code: "DAILY_BUDGET_EXCEEDED" });
    expect((await fast.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(50_000n);

    // What the window and the ledger hold is Redis' time, not either server's.
    const keys = walletKeys("clock:", wallet);
    const [, score] = await raw.zrange(keys[0]!, "0", "-1", "WITHSCORES");
    expect(Number(score)).toBeGreaterThanOrEqual(before);
    expect(Number(score)).toBeLessThanOrEqual(after);
    for (const [, fields] of await raw.xrange(keys[7]!, "-", "+")) {
      const at = (JSON.parse(fields[1]!) as { at: number }).at;
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(after);
    }
    await Promise.all([right.close(), fast.close()]);
  });

  it("a server whose clock disagrees with Redis' by more than a minute says so at start-up", async () => {
    const lines: string[] = [];
    const open = (now: () => number) =>
      RedisBudgetStore.open({ url: redis.url, prefix: "clock:", wallet: newWallet(), leaseMs: LEASE_MS, timeoutMs: 2_000, logger: { log: (level, m) => lines.push(`${level}: ${m}`) }, now });
    await (await open(() => Date.now() + 10 * MINUTE)).close();
    expect(lines).toEqual([expect.stringMatching(/^warning: this server's clock is 60\d s ahead of the clock of Redis at .*caps are not affected/)]);
    await (await open(() => Date.now() + 2_000)).close();
    expect(lines).toHaveLength(1);
  });

  it("a lease runs on Redis' clock: a slow server's reservation is not reclaimed by the others at once, a fast one's not kept longer", async () => {
    const wallet = newWallet();
    const slow = await server(wallet, () => Date.now() - 10 * MINUTE);
    const fast = await server(wallet, () => Date.now() + 10 * MINUTE);
    const held = await slow.reserve(request(20_000n, { sessionId: "slow" }));
    expect((await fast.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(20_000n);
    await slow.recordSigned(held, signature);

    const before = await redisTime();
    await fast.reserve(request(10_000n, { sessionId: "fast" }));
    const [, deadline] = await raw.zrange(walletKeys("clock:", wallet)[1]!, "0", "-1", "WITHSCORES");
    expect(Number(deadline)).toBeGreaterThanOrEqual(before + LEASE_MS);
    expect(Number(deadline)).toBeLessThanOrEqual((await redisTime()) + LEASE_MS);
    await Promise.all([slow.close(), fast.close()]);
  });

  it("the window moves with Redis' clock alone: counted until 24 h after signing by it, whatever each server's clock says", async () => {
    const wallet = newWallet();
    const T0 = Date.parse("2026-03-01T00:00:00Z");
    let redisNow = T0;
    const redisClock = () => redisNow;
    const right = await server(wallet, () => redisNow, redisClock);
    const fast = await server(wallet, () => redisNow + 10 * MINUTE, redisClock);
    await right.recordSigned(await right.reserve(request(50_000n)), signature);
    for (const at of [T0 + DAY - 10 * MINUTE, T0 + DAY - 1]) {
      redisNow = at;
      await expect(fast.reserve(request(1n, { sessionId: "fast" }))).rejects.toMatchObject({ code: "DAILY_BUDGET_EXCEEDED" });
    }
    redisNow = T0 + DAY;
    await fast.recordSigned(await fast.reserve(request(50_000n, { sessionId: "fast" })), signature);
    await expect(right.reserve(request(1n, { sessionId: "right" }))).rejects.toMatchObject({ code: "DAILY_BUDGET_EXCEEDED" });
    await Promise.all([right.close(), fast.close()]);
  });
});
