import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisBudgetStore } from "../../src/budget/redisStore.js";
import { startRedisCluster, type RedisClusterHandle } from "../rig/redisCluster.js";
import { startRedis, type RedisHandle } from "../rig/redis.js";
import { request, signature } from "./storeContract.js";

const TIMEOUT_MS = 400;
const quiet = { log: () => undefined };

let redis: RedisHandle;
let cluster: RedisClusterHandle;
beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

const newWallet = () => `0x${randomUUID().replace(/-/g, "")}`;

function openOne(wallet: string, minReplicasAcked: number): Promise<RedisBudgetStore> {
  return RedisBudgetStore.open({ url: redis.url, prefix: "replicas:", wallet, leaseMs: 60_000, timeoutMs: TIMEOUT_MS, minReplicasAcked, logger: quiet });
}

function openCluster(wallet: string, minReplicasAcked: number): Promise<RedisBudgetStore> {
  return RedisBudgetStore.open({ cluster: cluster.urls, prefix: "replicas:", wallet, leaseMs: 60_000, timeoutMs: 2_000, minReplicasAcked, logger: quiet });
}

async function codeOf(promise: Promise<unknown>): Promise<{ code: string | undefined; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string },
  );
  if (!error) throw new Error("expected a refusal, got an answer");
  return { code: error.code, message: error.message };
}

describe("store.minReplicasAcked: WAIT after each reservation and signature", () => {
  it("a single Redis has no replica: with minReplicasAcked 1 a reservation is refused and given back, nothing stays counted", async () => {
    const wallet = newWallet();
    const store = await openOne(wallet, 1);
    const refused = await codeOf(store.reserve(request(10_000n)));
    expect(refused.code).toBe("BUDGET_STORE_UNAVAILABLE");
    expect(refused.message).toMatch(/only 0 of the 1 replica\(s\).*given back and nothing was paid/);
    const plain = await openOne(wallet, 0);
    expect((await plain.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(0n);
    await Promise.all([store.close(), plain.close()]);
  });

  it("a signature no replica acknowledged: refused so the payment is not sent, and its amount stays counted", async () => {
    const wallet = newWallet();
    const plain = await openOne(wallet, 0);
    const waiting = await openOne(wallet, 1);
    const reservation = await plain.reserve(request(10_000n));
    const refused = await codeOf(waiting.recordSigned(reservation, signature));
    expect(refused.code).toBe("BUDGET_STORE_UNAVAILABLE");
    expect(refused.message).toMatch(/signed payment was not sent.*stays counted/);
    await waiting.release(reservation);
    expect((await plain.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(10_000n);
    await Promise.all([plain.close(), waiting.close()]);
  });

  it("on a 3-master, 3-replica cluster minReplicasAcked 1 is met (WAIT reaches the wallet's own master); the extra latency per reservation is printed", async () => {
    const rounds = 200;
    const perReservation: Record<number, number> = {};
    for (const replicas of [0, 1, 0, 1]) {
      const store = await openCluster(newWallet(), replicas);
      await store.release(await store.reserve(request(1n))); // warm: connections and slots
      const started = performance.now();
      for (let i = 0; i < rounds; i++) {
        const reservation = await store.reserve(request(1n));
        await store.recordSigned(reservation, signature);
      }
      perReservation[replicas] = (performance.now() - started) / rounds;
      expect((await store.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(BigInt(rounds));
      await store.close();
    }
    process.stderr.write(
      `minReplicasAcked on a cluster: reserve + recordSigned ${perReservation[0]!.toFixed(3)} ms with 0, ${perReservation[1]!.toFixed(3)} ms with 1 (last of two runs each, ${rounds} sequential payments)\n`,
    );
  }, 60_000);
});
