import { randomUUID } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { RedisBudgetStore } from "../../src/budget/redisStore.js";
import { startRedisCluster, type RedisClusterHandle } from "../rig/redisCluster.js";
import { describeBudgetStoreContract } from "./storeContract.js";

let cluster: RedisClusterHandle;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

// The same contract as on one Redis, on a real 3-master, 3-replica Redis Cluster: each test's
// wallet is a fresh hash tag, so the tests' budgets are spread over the three masters.
describeBudgetStoreContract("RedisBudgetStore on a Redis Cluster", async () => {
  const wallet = `0x${randomUUID().replace(/-/g, "")}`;
  return {
    open: (now) =>
      RedisBudgetStore.open({ cluster: cluster.urls, prefix: "contract:", wallet, leaseMs: 60_000, timeoutMs: 2_000, logger: { log: () => undefined }, ...(now ? { now, clockForTests: now } : {}) }),
  };
});
