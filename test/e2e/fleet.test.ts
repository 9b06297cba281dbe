import { randomBytes } from "node:crypto";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatUsd, parseUsd } from "../../src/money.js";
import { sha256Hex } from "../../src/server/agentAuth.js";
import { startRedis, type RedisHandle } from "../rig/redis.js";
import { startRig, type Rig } from "../rig/index.js";
import { Redis } from "ioredis";
import { connectHttp, startHttpServer, type HttpServerProcess } from "./httpProcess.js";
import { startMcp, textOf, writeConfig } from "./mcpClient.js";

const ROUNDS = Number(process.env.FLEET_ROUNDS ?? 10);
const CALLS = 60;
const PRICE = 10_000n; // /paid: 0.01 USDC
const DAILY_PAYMENTS = 10;

type Outcome = "paid" | "refused" | "other";

function outcomeOf(result: CallToolResult): Outcome {
  if ((result.structuredContent as { payment?: { status?: string } } | undefined)?.payment?.status === "settled") return "paid";
  if (textOf(result).startsWith("[DAILY_BUDGET_EXCEEDED]")) return "refused";
  return "other";
}

/**
 * One wallet, one daily cap, four server processes (three over Streamable HTTP, one over
 * stdio) on one Redis: however the calls race across servers, exactly the cap settles on-chain.
 */
describe("a fleet of servers on one Redis budget", () => {
  let rig: Rig;
  let redis: RedisHandle;
  const token = randomBytes(24).toString("base64url");

  beforeAll(async () => {
    [rig, redis] = await Promise.all([startRig(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([rig?.stop(), redis?.stop()]);
  });

  async function startFleet(privateKey: string, { timeoutMs, storeTimeoutMs }: { timeoutMs?: number; storeTimeoutMs?: number } = {}) {
    const config = {
      networks: ["eip155:84532"],
      rpc: { "eip155:84532": rig.rpcUrl },
      hosts: { allowPrivate: true },
      budget: { perCall: "0.10", perSession: "1.00", perDay: "0.10" },
      verifySettlement: false,
      // Every call must try to pay: no re-reading a response another call in the session paid for.
      content: { payOnceSeconds: 0 },
      store: { kind: "redis" as const, url: redis.url, prefix: "fleet:", ...(storeTimeoutMs && { timeoutMs: storeTimeoutMs }) },
      agents: [{ name: "worker", tokenSha256: sha256Hex(token) }],
    };
    const env = { X402_PRIVATE_KEY: privateKey };
    const configPath = writeConfig(config);
    const [http, stdio] = await Promise.all([
      Promise.all([0, 1, 2].map(() => startHttpServer({ configPath, env }))),
      startMcp({ config, env }),
    ]);
    const clients = await Promise.all(http.map((server) => connectHttp(server.url, token, { timeoutMs })));
    const callers = [...clients.map((c) => c.call), stdio.call.bind(stdio)];
    return {
      http,
      callers,
      async stop() {
        await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
        await stdio.close();
        return Promise.all(http.map((server) => server.stop()));
      },
    };
  }

  it(`${CALLS} parallel paid calls over 3 HTTP servers and 1 stdio server against a daily budget for ${DAILY_PAYMENTS}: exactly ${DAILY_PAYMENTS} settle on-chain, ${ROUNDS} rounds`, async () => {
    const perRound: { paid: number; refused: number; onChain: bigint }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // A new wallet each round is a new budget: its keys in Redis start empty.
      const wallet = await rig.newWallet(1_000_000n);
      const fleet = await startFleet(wallet.privateKey);
      try {
        const results = await Promise.all(
          Array.from({ length: CALLS }, (_, i) => fleet.callers[i % fleet.callers.length]!("paid_fetch", { url: `${i % 2 ? rig.v1.url : rig.v2.url}/paid` })),
        );
        const outcomes = results.map(outcomeOf);
        const onChain = 1_000_000n - (await rig.balanceOf(wallet.address));
        perRound.push({ paid: outcomes.filter((o) => o === "paid").length, refused: outcomes.filter((o) => o === "refused").length, onChain });
        expect(outcomes.filter((o) => o === "other").map((_, i) => textOf(results[i]!))).toEqual([]);
      } finally {
        await fleet.stop();
      }
    }
    process.stderr.write(`fleet: per round (paid, on-chain USDC): ${perRound.map((r) => `${r.paid}/${formatUsd(r.onChain)}`).join(", ")}\n`);
    expect(perRound.filter((r) => r.onChain > BigInt(DAILY_PAYMENTS) * PRICE)).toEqual([]); // 0 overspends
    expect(perRound.map((r) => r.onChain)).toEqual(Array(ROUNDS).fill(BigInt(DAILY_PAYMENTS) * PRICE));
    expect(perRound.map((r) => [r.paid, r.refused])).toEqual(Array(ROUNDS).fill([DAILY_PAYMENTS, CALLS - DAILY_PAYMENTS]));
  }, 600_000);

  it("the wallet key and the agent token appear in no Redis key or value and in no server output", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const fleet = await startFleet(wallet.privateKey);
    let outputs: string[];
    try {
      await Promise.all(fleet.callers.map((call) => call("paid_fetch", { url: `${rig.v2.url}/paid` })));
    } finally {
      await fleet.stop();
      outputs = fleet.http.flatMap((server) => [server.stdout(), server.stderr()]);
    }
    const dump = await dumpRedis(redis.url);
    expect(dump).toContain(wallet.address.toLowerCase().slice(2, 10)); // the dump is real: it holds this wallet's keys
    const secrets = [wallet.privateKey.slice(2).toLowerCase(), token.toLowerCase()];
    for (const text of [dump, ...outputs]) for (const secret of secrets) expect(text.toLowerCase()).not.toContain(secret);
  }, 120_000);

  it("Redis stopped, restarted, and frozen past its timeout: clear refusals, nothing signed meanwhile, and the totals are never lower than the chain", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const fleet = await startFleet(wallet.privateKey, { storeTimeoutMs: 500 });
    const spentOnChain = async () => 1_000_000n - (await rig.balanceOf(wallet.address));
    const callAll = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => fleet.callers[i % fleet.callers.length]!("paid_fetch", { url: `${rig.v2.url}/paid` })));
    const countedDay = async () => parseUsd(((await fleet.callers[0]!("wallet_balance")).structuredContent as { budget: { day: { spent: string } } }).budget.day.spent);
    // Each server reconnects by itself after an outage; wait until all of them answer again.
    const untilEveryStoreAnswers = async () => {
      const deadline = Date.now() + 15_000;
      for (const call of fleet.callers) {
        while (!(await call("wallet_balance")).structuredContent) {
          if (Date.now() > deadline) throw new Error("a server's store did not answer within 15 s of Redis coming back");
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    const unavailable = (results: CallToolResult[]) => results.filter((r) => textOf(r).startsWith("[BUDGET_STORE_UNAVAILABLE]")).length;
    try {
      expect((await callAll(4)).map(outcomeOf)).toEqual(Array(4).fill("paid"));

      await redis.stop();
      const whileDown = await callAll(8);
      expect(unavailable(whileDown)).toBe(8);
      expect(textOf(whileDown[0]!)).toMatch(/Redis/);
      expect(await spentOnChain()).toBe(4n * PRICE);

      await redis.restart();
      await untilEveryStoreAnswers();
      expect(await countedDay()).toBeGreaterThanOrEqual(await spentOnChain());

      const frozen = redis.pause(1_500);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const whileFrozen = await callAll(4);
      await frozen;
      expect(unavailable(whileFrozen)).toBe(4);
      expect(await spentOnChain()).toBe(4n * PRICE);
      await untilEveryStoreAnswers();

      // Afterwards the fleet pays up to the cap and no further; what timed out during the
      // freeze may still count (until its lease ends), never the other way round.
      const after = await callAll(12);
      expect(after.filter((r) => outcomeOf(r) === "other").map(textOf)).toEqual([]);
      const onChain = await spentOnChain();
      expect(onChain).toBeLessThanOrEqual(BigInt(DAILY_PAYMENTS) * PRICE);
      expect(onChain).toBeGreaterThan(4n * PRICE);
      expect(await countedDay()).toBeGreaterThanOrEqual(onChain);
    } finally {
      await fleet.stop();
    }
  }, 120_000);

  it("a server killed with kill -9 mid-call never lets the fleet pass the cap, and the store never counts less than the chain shows", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    // Calls in flight on the killed server get no answer: let them time out quickly.
    const fleet = await startFleet(wallet.privateKey, { timeoutMs: 15_000 });
    const victim = fleet.http[0]!;
    try {
      const calls = Array.from({ length: CALLS }, (_, i) =>
        fleet.callers[i % fleet.callers.length]!("paid_fetch", { url: `${rig.v2.url}/paid` }).catch((error: Error) => error),
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
      victim.child.kill("SIGKILL");
      await Promise.all(calls);
      // The survivors' view of the day, after the dead server's work is all in.
      const survivor = await connectHttp(fleet.http[1]!.url, token);
      const balance = await survivor.call("wallet_balance");
      await survivor.close();
      const counted = parseUsd((balance.structuredContent as { budget: { day: { spent: string } } }).budget.day.spent);
      const onChain = 1_000_000n - (await rig.balanceOf(wallet.address));
      expect(onChain).toBeLessThanOrEqual(BigInt(DAILY_PAYMENTS) * PRICE);
      expect(counted).toBeGreaterThanOrEqual(onChain);
    } finally {
      await fleet.stop();
    }
  }, 120_000);
});

/** Every key and every value in the Redis, as text, whatever the key's type. */
async function dumpRedis(url: string): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    const parts: string[] = [];
    for (const key of await redis.keys("*")) {
      const type = await redis.type(key);
      const value =
        type === "string" ? await redis.get(key)
        : type === "hash" ? await redis.hgetall(key)
        : type === "zset" ? await redis.zrange(key, "0", "-1", "WITHSCORES")
        : type === "stream" ? await redis.xrange(key, "-", "+")
        : type === "list" ? await redis.lrange(key, "0", "-1")
        : type === "set" ? await redis.smembers(key)
        : `unexpected type ${type}`;
      parts.push(key, JSON.stringify(value));
    }
    return parts.join("\n");
  } finally {
    redis.disconnect();
  }
}
