import { randomUUID } from "node:crypto";
import { RedisBudgetStore } from "../src/budget/redisStore.js";
import { request, signature } from "../test/budget/storeContract.js";
import { startRedisCluster } from "../test/rig/redisCluster.js";
import { latencyRow, nowMs, rotation, type ScenarioResult } from "./stats.js";

const quiet = { log: () => undefined };

/**
 * What `store.minReplicasAcked: 1` costs a payment: reserve + recordSigned (the two scripts
 * followed by WAIT) on a real 3-master, 3-replica cluster on loopback, against the same
 * with 0 in the same run. Rounds alternate the two settings so drift in the machine's load
 * falls on both; each round uses a fresh wallet so both start from an empty window. The
 * day total is checked after each round: a faster store that lost a reservation is no win.
 * BENCH_REPLICA_N payments per round (default 200), BENCH_REPLICA_ROUNDS rounds (default 6).
 */
export async function replicaLatency(): Promise<ScenarioResult> {
  const perRound = Number(process.env.BENCH_REPLICA_N ?? 200);
  const rounds = Number(process.env.BENCH_REPLICA_ROUNDS ?? 6);
  const cluster = await startRedisCluster();
  const samples: Record<0 | 1, number[]> = { 0: [], 1: [] };
  const notes: string[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const replicas of rotation([0, 1] as const, round)) {
        const store = await RedisBudgetStore.open({
          cluster: cluster.urls,
          prefix: "bench:",
          wallet: `0x${randomUUID().replace(/-/g, "")}`,
          leaseMs: 60_000,
          timeoutMs: 2_000,
          minReplicasAcked: replicas,
          logger: quiet,
        });
        try {
          await store.release(await store.reserve(request(1n))); // connections and slots warm
          for (let i = 0; i < perRound; i++) {
            const started = nowMs();
            await store.recordSigned(await store.reserve(request(1n)), signature);
            samples[replicas].push(nowMs() - started);
          }
          const day = (await store.usage({ sessionId: "s1", hostPatterns: [] })).day;
          if (day !== BigInt(perRound)) throw new Error(`replicaLatency: ${perRound} payments signed but the day total is ${day}`);
        } finally {
          await store.close();
        }
      }
    }
  } finally {
    await cluster.stop();
  }
  notes.push(
    `replicaLatency: ${rounds} rounds × ${perRound} sequential payments per setting on a 3-master, 3-replica cluster (cluster formed in ${cluster.startedInMs.toFixed(0)} ms); each round's day total checked equal to its payments`,
  );
  const base = { variant: "minReplicasAcked 0", samples: samples[0] };
  return {
    rows: [
      latencyRow("replicaLatency", base.variant, samples[0], { note: "reserve + recordSigned, one payment at a time" }),
      latencyRow("replicaLatency", "minReplicasAcked 1", samples[1], { base, note: "the same, each script followed by WAIT 1 on the wallet's master" }),
    ],
    notes,
  };
}
