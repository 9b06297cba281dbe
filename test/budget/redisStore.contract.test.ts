import { randomUUID } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { RedisBudgetStore } from "../../src/budget/redisStore.js";
import { startRedis, type RedisHandle } from "../rig/redis.js";
import { describeBudgetStoreContract } from "./storeContract.js";

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

// Each test gets its own wallet, hence its own keys, on one real redis-server. A test's clock
// stands in for Redis' (whose clock a test cannot move by a day); redisClock.test.ts runs on
// the real TIME.
describeBudgetStoreContract("RedisBudgetStore", async () => {
  const wallet = `0x${randomUUID().replace(/-/g, "")}`;
  return {
    open: (now) =>
      RedisBudgetStore.open({ url: redis.url, prefix: "contract:", wallet, leaseMs: 60_000, timeoutMs: 2_000, logger: { log: () => undefined }, ...(now ? { now, clockForTests: now } : {}) }),
  };
});
