import { randomBytes } from "node:crypto";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { walletKeys } from "../../src/budget/redisWire.js";
import { formatUsd } from "../../src/money.js";
import { sha256Hex } from "../../src/server/agentAuth.js";
import { startRedisCluster, type RedisClusterHandle } from "../rig/redisCluster.js";
import { startRig, type Rig } from "../rig/index.js";
import { connectHttp, startHttpServer } from "./httpProcess.js";
import { startMcp, textOf, writeConfig } from "./mcpClient.js";

const ROUNDS = Number(process.env.FLEET_FAILOVER_ROUNDS ?? 2);
const WAVE = 8; // parallel calls at a time
/** FLEET_FAILOVER_REPLICAS=0 runs the same fleet without WAIT, for comparison. */
const REPLICAS = Number(process.env.FLEET_FAILOVER_REPLICAS ?? 1);
const PRICE = 10_000n; // /paid: 0.01 USDC
const DAILY_PAYMENTS = 10;
const FUNDS = 1_000_000n;
const PREFIX = "failover:";

type Outcome = "paid" | "refused" | "unavailable" | "other";

function outcomeOf(result: CallToolResult): Outcome {
  if ((result.structuredContent as { payment?: { status?: string } } | undefined)?.payment?.status === "settled") return "paid";
  const text = textOf(result);
  if (text.startsWith("[DAILY_BUDGET_EXCEEDED]")) return "refused";
  if (text.startsWith("[BUDGET_STORE_UNAVAILABLE]")) return "unavailable";
  return "other";
}

/**
 * A fleet paying on a Redis Cluster with store.minReplicasAcked 1 while the master that holds
 * its wallet's budget is SIGKILLed with writes its replica does not have, and that replica is
 * promoted: the wallet never pays past its daily cap on-chain. Calls during the failover
 * may be refused (BUDGET_STORE_UNAVAILABLE); once the killed node is back as a replica the
 * fleet pays again, up to the cap.
 */
describe("a fleet on a Redis Cluster through a master's failover", () => {
  let rig: Rig;
  let cluster: RedisClusterHandle;
  const token = randomBytes(24).toString("base64url");

  beforeAll(async () => {
    [rig, cluster] = await Promise.all([startRig(), startRedisCluster()]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([rig?.stop(), cluster?.stop()]);
  });

  async function startFleet(privateKey: string) {
    const config = {
      networks: ["eip155:84532"],
      rpc: { "eip155:84532": rig.rpcUrl },
      hosts: { allowPrivate: true },
      budget: { perCall: "0.10", perSession: "1.00", perDay: "0.10" },
      verifySettlement: false,
      content: { payOnceSeconds: 0 },
      store: { kind: "redis" as const, cluster: cluster.urls, prefix: PREFIX, minReplicasAcked: REPLICAS },
      agents: [{ name: "worker", tokenSha256: sha256Hex(token) }],
    };
    const env = { X402_PRIVATE_KEY: privateKey };
    const configPath = writeConfig(config);
    const [http, stdio] = await Promise.all([Promise.all([0, 1].map(() => startHttpServer({ configPath, env }))), startMcp({ config, env })]);
    const clients = await Promise.all(http.map((server) => connectHttp(server.url, token)));
    const callers = [...clients.map((c) => c.call), stdio.call.bind(stdio)];
    return {
      wave: async () =>
        (await Promise.all(Array.from({ length: WAVE }, (_, i) => callers[i % callers.length]!("paid_fetch", { url: `${i % 2 ? rig.v1.url : rig.v2.url}/paid` })))).map(
          (r) => ({ outcome: outcomeOf(r), text: textOf(r) }),
        ),
      async stop() {
        await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
        await stdio.close();
        return Promise.all(http.map((server) => server.stop()));
      },
    };
  }

  it(`SIGKILL of the wallet's master ahead of its stopped replica, replica promoted, node back as a replica: never more than the daily cap (${DAILY_PAYMENTS} payments) on-chain, ${ROUNDS} rounds`, async () => {
    const lines: string[] = [];
    const stoppedWaves: Outcome[][] = [];
    const results: { onChain: bigint; other: string[]; afterRejoin: Outcome[] }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const wallet = await rig.newWallet();
      await rig.mint(wallet.address, FUNDS);
      const key = walletKeys(PREFIX, wallet.address.toLowerCase())[0]!;
      const master = await cluster.masterPortOf(key);
      const fleet = await startFleet(wallet.privateKey);
      try {
        const outcomes: Outcome[] = [];
        const others: string[] = [];
        const record = (wave: { outcome: Outcome; text: string }[]) => {
          outcomes.push(...wave.map((w) => w.outcome));
          others.push(...wave.filter((w) => w.outcome === "other").map((w) => w.text));
        };
        record(await fleet.wave());
        // The replica is stopped for one wave, so no write of that wave can be acknowledged by it
        // (WAIT runs out), then the master is killed and the replica resumed and promoted. On
        // loopback the stopped replica still finds the master's stream in its socket once resumed,
        // so no write is lost here: the loss itself cannot be forced open on one machine.
        const replica = await cluster.replicaPortOf(master);
        cluster.signal(replica, "SIGSTOP");
        try {
          const stopped = await fleet.wave();
          record(stopped);
          stoppedWaves.push(stopped.map((w) => w.outcome));
        } finally {
          cluster.kill(master);
          cluster.signal(replica, "SIGCONT");
        }
        const killedAt = Date.now();
        const promoting = cluster.untilPromotedFrom(master, key, 30_000);
        let promoted = false;
        void promoting.then(() => (promoted = true), () => undefined);
        while (!promoted) {
          record(await fleet.wave());
          await new Promise((r) => setTimeout(r, 100)); // refusals come back at once: no busy loop
        }
        const newMaster = await promoting;
        const promotedInMs = Date.now() - killedAt;
        // The promoted master has no replica yet: with minReplicasAcked 1 it refuses until one is back.
        record(await fleet.wave());
        await cluster.rejoin(master, 30_000);
        const afterRejoin: Outcome[] = [];
        const capReached = () => afterRejoin.length > 0 && afterRejoin.slice(-WAVE).every((o) => o === "refused");
        for (let wave = 0; wave < 4 && !capReached(); wave++) {
          const next = await fleet.wave();
          record(next);
          afterRejoin.push(...next.map((w) => w.outcome));
        }
        const onChain = FUNDS - (await rig.balanceOf(wallet.address));
        const count = (o: Outcome) => outcomes.filter((x) => x === o).length;
        lines.push(
          `round ${round + 1}: master ${master} killed, ${newMaster} promoted in ${promotedInMs} ms; ${outcomes.length} calls: ${count("paid")} paid, ${count("refused")} over the cap, ${count("unavailable")} BUDGET_STORE_UNAVAILABLE, ${count("other")} other; on-chain ${formatUsd(onChain)} USDC (cap ${formatUsd(BigInt(DAILY_PAYMENTS) * PRICE)})`,
        );
        results.push({ onChain, other: others, afterRejoin });
      } finally {
        await fleet.stop();
      }
    }
    process.stderr.write(`fleet through a failover:\n  ${lines.join("\n  ")}\n`);
    expect(results.filter((r) => r.onChain > BigInt(DAILY_PAYMENTS) * PRICE)).toEqual([]); // never over the cap
    expect(results.flatMap((r) => r.other)).toEqual([]);
    // While the replica was stopped nothing was paid: WAIT was not met, so nothing was signed.
    if (REPLICAS > 0) expect(stoppedWaves.flat().filter((o) => o === "paid")).toEqual([]);
    // Back to a replicated master, the budget answers again: the last wave is refused by the cap, not by the store.
    expect(results.map((r) => r.afterRejoin.length > 0 && r.afterRejoin.slice(-WAVE).every((o) => o === "refused"))).toEqual(Array(ROUNDS).fill(true));
  }, 300_000);
});
