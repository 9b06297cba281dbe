import { randomBytes } from "node:crypto";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { walletKeys } from "../../src/budget/redisWire.js";
import { formatUsd } from "../../src/money.js";
import { sha256Hex } from "../../src/server/agentAuth.js";
import { startRedisCluster, type RedisClusterHandle } from "../rig/redisCluster.js";
import { startRig, type Rig, type RigWallet } from "../rig/index.js";
import { connectHttp, startHttpServer } from "./httpProcess.js";
import { startMcp, textOf, writeConfig } from "./mcpClient.js";

// Fewer rounds than fleet.test.ts (10): each round runs two fleets, eight servers, at once.
const ROUNDS = Number(process.env.FLEET_CLUSTER_ROUNDS ?? 3);
const CALLS = 60;
const PRICE = 10_000n; // /paid: 0.01 USDC
const DAILY_PAYMENTS = 10;
const FUNDS = 1_000_000n;
const PREFIX = "fleet:";

type Outcome = "paid" | "refused" | "other";

function outcomeOf(result: CallToolResult): Outcome {
  if ((result.structuredContent as { payment?: { status?: string } } | undefined)?.payment?.status === "settled") return "paid";
  if (textOf(result).startsWith("[DAILY_BUDGET_EXCEEDED]")) return "refused";
  return "other";
}

/**
 * The fleet test on a real Redis Cluster (3 masters, 3 replicas): two wallets whose budgets
 * live on different masters, each paid by its own fleet of four servers at the same time.
 * Per wallet, however the calls race, exactly the daily cap settles on-chain.
 */
describe("a fleet of servers on a Redis Cluster budget", () => {
  let rig: Rig;
  let cluster: RedisClusterHandle;
  const token = randomBytes(24).toString("base64url");

  beforeAll(async () => {
    [rig, cluster] = await Promise.all([startRig(), startRedisCluster()]);
    process.stderr.write(`fleet on a cluster: the 6-node Redis Cluster started in ${cluster.startedInMs} ms\n`);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([rig?.stop(), cluster?.stop()]);
  });

  const masterOf = (wallet: RigWallet) => cluster.masterPortOf(walletKeys(PREFIX, wallet.address.toLowerCase())[0]!);

  /** Two new wallets whose keys hash to slots held by different masters, each funded. */
  async function walletsOnTwoMasters(): Promise<{ wallets: [RigWallet, RigWallet]; masters: [number, number] }> {
    const first = await rig.newWallet();
    const firstMaster = await masterOf(first);
    for (let attempt = 0; attempt < 50; attempt++) {
      const second = await rig.newWallet();
      const secondMaster = await masterOf(second);
      if (secondMaster === firstMaster) continue;
      await Promise.all([rig.mint(first.address, FUNDS), rig.mint(second.address, FUNDS)]);
      return { wallets: [first, second], masters: [firstMaster, secondMaster] };
    }
    throw new Error("no second wallet on another master in 50 tries");
  }

  async function startFleet(privateKey: string) {
    const config = {
      networks: ["eip155:84532"],
      rpc: { "eip155:84532": rig.rpcUrl },
      hosts: { allowPrivate: true },
      budget: { perCall: "0.10", perSession: "1.00", perDay: "0.10" },
      verifySettlement: false,
      content: { payOnceSeconds: 0 },
      store: { kind: "redis" as const, cluster: cluster.urls, prefix: PREFIX },
      agents: [{ name: "worker", tokenSha256: sha256Hex(token) }],
    };
    const env = { X402_PRIVATE_KEY: privateKey };
    const configPath = writeConfig(config);
    const [http, stdio] = await Promise.all([Promise.all([0, 1, 2].map(() => startHttpServer({ configPath, env }))), startMcp({ config, env })]);
    const clients = await Promise.all(http.map((server) => connectHttp(server.url, token)));
    const callers = [...clients.map((c) => c.call), stdio.call.bind(stdio)];
    return {
      callers,
      async stop() {
        await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
        await stdio.close();
        return Promise.all(http.map((server) => server.stop()));
      },
    };
  }

  async function payFromFleet(wallet: RigWallet) {
    const fleet = await startFleet(wallet.privateKey);
    try {
      const results = await Promise.all(
        Array.from({ length: CALLS }, (_, i) => fleet.callers[i % fleet.callers.length]!("paid_fetch", { url: `${i % 2 ? rig.v1.url : rig.v2.url}/paid` })),
      );
      const outcomes = results.map(outcomeOf);
      return {
        paid: outcomes.filter((o) => o === "paid").length,
        refused: outcomes.filter((o) => o === "refused").length,
        other: results.filter((r) => outcomeOf(r) === "other").map(textOf),
        onChain: FUNDS - (await rig.balanceOf(wallet.address)),
      };
    } finally {
      await fleet.stop();
    }
  }

  it(`two wallets on different masters, ${CALLS} parallel paid calls each over 3 HTTP servers and 1 stdio server against a daily budget for ${DAILY_PAYMENTS}: exactly ${DAILY_PAYMENTS} settle on-chain per wallet, ${ROUNDS} rounds`, async () => {
    const masters = await cluster.masterPorts();
    expect(masters).toHaveLength(3);
    const perRound: { paid: number; refused: number; other: string[]; onChain: bigint; master: number }[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { wallets, masters: held } = await walletsOnTwoMasters();
      expect(masters).toEqual(expect.arrayContaining(held));
      const results = await Promise.all(wallets.map((wallet) => payFromFleet(wallet)));
      // Each wallet's day total is on the master CLUSTER SLOTS named, read from that node alone.
      for (const [i, wallet] of wallets.entries()) expect(await existsOn(held[i]!, walletKeys(PREFIX, wallet.address.toLowerCase())[3]!)).toBe(1);
      perRound.push(results.map((r, i) => ({ ...r, master: held[i]! })));
    }
    process.stderr.write(
      `fleet on a cluster: per round, per wallet (master port: paid, on-chain USDC): ${perRound
        .map((round) => round.map((r) => `${r.master}: ${r.paid}/${formatUsd(r.onChain)}`).join(" + "))
        .join(", ")}\n`,
    );
    const all = perRound.flat();
    expect(all.flatMap((r) => r.other)).toEqual([]);
    expect(all.filter((r) => r.onChain > BigInt(DAILY_PAYMENTS) * PRICE)).toEqual([]); // 0 overspends
    expect(all.map((r) => r.onChain)).toEqual(Array(2 * ROUNDS).fill(BigInt(DAILY_PAYMENTS) * PRICE));
    expect(all.map((r) => [r.paid, r.refused])).toEqual(Array(2 * ROUNDS).fill([DAILY_PAYMENTS, CALLS - DAILY_PAYMENTS]));
  }, 600_000);
});

/** EXISTS on one node directly (no cluster client): 1 only if that master holds the key. */
async function existsOn(port: number, key: string): Promise<number> {
  const redis = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on("error", () => undefined);
  await redis.connect();
  try {
    return await redis.exists(key);
  } finally {
    redis.disconnect();
  }
}
