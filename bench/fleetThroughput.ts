import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { Redis } from "ioredis";
import { walletKeys } from "../src/budget/redisWire.js";
import type { ConfigInput } from "../src/config/schema.js";
import { sha256Hex } from "../src/server/agentAuth.js";
import { connectHttp, startHttpServer, type HttpServerProcess } from "../test/e2e/httpProcess.js";
import { startRedis, type RedisHandle } from "../test/rig/redis.js";
import type { Rig, RigWallet } from "../test/rig/index.js";
import { machineBusyOver, machineCpuMs, pct, treeCpuMs } from "./cpuTime.js";
import { PAID_PRICE_ATOMIC, benchConfig, envInt, startServer, tempDir, textOf, writeConfigFile, type BenchSession } from "./harness.js";
import { median, nowMs, p95, type Row, type ScenarioResult } from "./stats.js";

const NAME = "fleetThroughput";
const HTTP_SERVERS = 3;
const PREFIX = "benchfleet:";
/** The daily cap is set to be reached after about this share of the run. */
const CAP_AT = 0.6;
const FUNDING = 1_000_000_000n; // 1 000 test USDC: far above the cap, so the cap is what stops spending

interface Call {
  start: number;
  end: number;
  /** "paid", or the error code (DAILY_BUDGET_EXCEEDED, …), or "error". */
  outcome: string;
}

interface Fleet {
  callers: (() => Promise<string>)[];
  pids: number[];
  stop(): Promise<void>;
}

/**
 * The fleet of the issue-9 e2e test under load: 3 `serve --http` processes and 1 stdio
 * server, one wallet, one Redis budget (real redis-server, AOF always) and the rig's x402 v2
 * server. BENCH_FLEET_AGENTS (default 16) agents call paid_fetch without pause, spread
 * evenly over the 4 servers (each HTTP agent its own bearer-authenticated MCP session; the
 * stdio server's agents share its one session). A short uncapped calibration measures the
 * rate; then, on a new wallet, the daily cap is set to be reached after about 60% of
 * BENCH_SECONDS (default 20), so the cap binds and is checked: the chain must show the
 * wallet paid no more than the cap (0 overspends), and every paid result one transfer.
 */
export async function fleetThroughput(rig: Rig): Promise<ScenarioResult> {
  const seconds = envInt("BENCH_SECONDS", 20);
  const agents = envInt("BENCH_FLEET_AGENTS", 16);
  const calibrateMs = Math.min(6, Math.max(3, seconds / 4)) * 1000;
  const redis = await startRedis();
  const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const token = randomBytes(24).toString("base64url");
  let counter = 0;
  const url = () => `${rig.v2.url}/paid?fleet=${counter++}`;
  const fleets: Fleet[] = [];
  try {
    await admin.connect();
    const idleBefore = await machineBusyOver();
    // Calibration: uncapped, on a throwaway wallet.
    const calWallet = await rig.newWallet(FUNDING);
    const cal = await startFleet(rig, redis, calWallet, token, agents, null, url);
    fleets.push(cal);
    const calCalls = await runFor(cal.callers, calibrateMs);
    const calRate = calCalls.filter((c) => c.outcome === "paid").length / (calibrateMs / 1000);
    await cal.stop();
    fleets.pop();

    const capPayments = BigInt(Math.max(10, Math.round(calRate * seconds * CAP_AT)));
    const capMicros = capPayments * PAID_PRICE_ATOMIC; // USDC atomic units = USD micros
    const wallet = await rig.newWallet(FUNDING);
    const fleet = await startFleet(rig, redis, wallet, token, agents, capMicros, url);
    fleets.push(fleet);
    const cpu0 = { tree: treeCpuMs(), machine: machineCpuMs() };
    const t0 = nowMs();
    const calls = await runFor(fleet.callers, seconds * 1000);
    const wallMs = nowMs() - t0;
    const cpu1 = { tree: treeCpuMs(), machine: machineCpuMs() };

    const onChain = FUNDING - (await rig.balanceOf(wallet.address));
    const counted = BigInt((await admin.get(walletKeys(PREFIX, wallet.address.toLowerCase())[3]!)) ?? "0");
    const paid = calls.filter((c) => c.outcome === "paid");
    const refused = calls.filter((c) => c.outcome === "DAILY_BUDGET_EXCEEDED");
    const hit = refused.length ? Math.min(...refused.map((c) => c.end)) : null;
    const activeMs = (hit ?? t0 + wallMs) - t0;
    const rate = paid.length / (activeMs / 1000);
    const overspend = onChain > capMicros ? onChain - capMicros : 0n;
    const oneTransferEach = onChain === BigInt(paid.length) * PAID_PRICE_ATOMIC;
    const pass = overspend === 0n && counted >= onChain && oneTransferEach;
    const latency = paid.map((c) => c.end - c.start);
    const refusedLatency = refused.map((c) => c.end - c.start);

    const cores = cpuByRole(cpu0.tree, cpu1.tree, fleet.pids, wallMs);
    const machineCores = (cpu1.machine.busy - cpu0.machine.busy) / wallMs;
    const machine = (cpu1.machine.busy - cpu0.machine.busy) / (cpu1.machine.total - cpu0.machine.total);
    const ours = [...cores.values()].reduce((a, b) => a + b, 0);
    const capNote =
      `perDay ${usd(capMicros)} (${capPayments} payments); ${hit === null ? "cap NOT reached" : `reached after ${((hit - t0) / 1000).toFixed(1)} s`}; ` +
      `paid on-chain ${usd(onChain)} for ${paid.length} paid results, Redis day total ${usd(counted)}; overspend ${usd(overspend)}`;
    const rows: Row[] = [
      {
        scenario: NAME,
        variant: `${HTTP_SERVERS} HTTP + 1 stdio servers, 1 Redis, ${agents} agents: paid calls/s`,
        n: paid.length,
        median: rate,
        p95: null,
        unit: "calls/s",
        ratio: null,
        target: "overspend = 0",
        pass,
        note: `until the cap; ${capNote}`,
      },
      {
        scenario: NAME,
        variant: `${HTTP_SERVERS} HTTP + 1 stdio servers, 1 Redis, ${agents} agents: latency of paid calls`,
        n: latency.length,
        median: latency.length ? median(latency) : null,
        p95: latency.length ? p95(latency) : null,
        unit: "ms",
        ratio: null,
        note: `refusals after the cap: median ${refusedLatency.length ? median(refusedLatency).toFixed(1) : "–"} ms, p95 ${refusedLatency.length ? p95(refusedLatency).toFixed(1) : "–"} ms (n ${refusedLatency.length})`,
      },
    ];
    const notes = [
      `Fleet throughput: ${HTTP_SERVERS} serve --http processes and 1 stdio server, one wallet, one Redis budget (redis-server, appendfsync always), ` +
        `${agents} agents calling paid_fetch (the rig's v2 /paid, 0.01 USDC, distinct URLs) without pause for ${seconds} s, spread evenly over the servers ` +
        `(verifySettlement off and payOnceSeconds 0, as in the fleet test). Calibration (uncapped, ${calibrateMs / 1000} s) measured ${calRate.toFixed(1)} paid calls/s; ` +
        `the daily cap was then set to be reached after about ${CAP_AT * 100}% of the run, on a new wallet, so it binds. ${capNote}; ` +
        `every paid result is one transfer on-chain: ${oneTransferEach ? "yes" : "NO"}; outcomes ${fmtCounts(calls)}.`,
      `Fleet throughput, where the time goes (share of one core over the run): ${[...cores].map(([role, c]) => `${role} ${pct(c)}`).join(", ")}; ` +
        `other processes on the machine ${pct(Math.max(0, machineCores - ours))}; the machine (2 cores) was ${pct(machine)} busy, and ${pct(idleBefore)} busy in the second before the scenario started.`,
    ];
    return { rows, notes };
  } finally {
    await Promise.all(fleets.map((f) => f.stop().catch(() => undefined)));
    admin.disconnect();
    await redis.stop();
  }
}

async function startFleet(
  rig: Rig,
  redis: RedisHandle,
  wallet: RigWallet,
  token: string,
  agents: number,
  capMicros: bigint | null,
  url: () => string,
): Promise<Fleet> {
  const extra: ConfigInput = {
    budget: { perCall: "0.10", perSession: "100000", perDay: capMicros === null ? "100000" : (Number(capMicros) / 1e6).toFixed(2) },
    verifySettlement: false,
    // Every call must try to pay: no re-reading a response another call of the session paid for.
    content: { payOnceSeconds: 0 },
    store: { kind: "redis", url: redis.url, prefix: PREFIX },
    agents: [{ name: "bench", tokenSha256: sha256Hex(token) }],
  };
  const dir = tempDir("fleet");
  const config = benchConfig(rig, join(dir, "ledger.jsonl"), extra);
  const configPath = writeConfigFile(dir, config);
  const env = { X402_PRIVATE_KEY: wallet.privateKey, HOME: dir };
  const http: HttpServerProcess[] = [];
  const sessions: { call: (name: string, args?: Record<string, unknown>) => Promise<CallToolResult>; close: () => Promise<void> }[] = [];
  let stdio: BenchSession | undefined;
  const stop = async () => {
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    await stdio?.close().catch(() => undefined);
    await Promise.all(http.map((s) => s.stop()));
  };
  try {
    const [servers, stdioServer] = await Promise.all([
      Promise.all(Array.from({ length: HTTP_SERVERS }, () => startHttpServer({ configPath, env }))),
      startServer({ config, privateKey: wallet.privateKey }),
    ]);
    http.push(...servers);
    stdio = stdioServer;
    const servers4 = HTTP_SERVERS + 1;
    const callers: (() => Promise<string>)[] = [];
    for (let i = 0; i < agents; i++) {
      const server = i % servers4;
      let call: (name: string, args?: Record<string, unknown>) => Promise<CallToolResult>;
      if (server < HTTP_SERVERS) {
        const session = await connectHttp(http[server]!.url, token, { timeoutMs: 60_000 });
        sessions.push(session);
        call = session.call;
      } else {
        call = stdioServer.call;
      }
      callers.push(async () => {
        const result = await call("paid_fetch", { url: url() });
        if (!result.isError) return (result.structuredContent as { payment?: { status?: string } | null } | undefined)?.payment ? "paid" : "unpaid";
        return /^\[([A-Z_]+)\]/.exec(textOf(result))?.[1] ?? "error";
      });
    }
    const pids = [...http.map((s) => s.child.pid ?? 0), stdioServer.pid];
    return { callers, pids, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function runFor(callers: (() => Promise<string>)[], ms: number): Promise<Call[]> {
  const calls: Call[] = [];
  const end = nowMs() + ms;
  await Promise.all(
    callers.map(async (call) => {
      while (nowMs() < end) {
        const start = nowMs();
        let outcome: string;
        try {
          outcome = await call();
        } catch {
          outcome = "error";
        }
        calls.push({ start, end: nowMs(), outcome });
      }
    }),
  );
  return calls;
}

/** Cores used over the run by each role in this process's tree: the servers, Redis, anvil, and the bench process (the agents' MCP clients and the rig's x402 server and facilitator). */
function cpuByRole(before: ReturnType<typeof treeCpuMs>, after: ReturnType<typeof treeCpuMs>, serverPids: number[], wallMs: number): Map<string, number> {
  const roles = new Map<string, number>([["the 4 servers", 0], ["redis-server", 0], ["anvil", 0], ["bench process (agents' clients, x402 server, facilitator)", 0], ["watchdog shells", 0]]);
  for (const [pid, { comm, cpuMs }] of after) {
    const role = serverPids.includes(pid)
      ? "the 4 servers"
      : comm === "redis-server" || comm === "anvil"
        ? comm
        : pid === process.pid
          ? "bench process (agents' clients, x402 server, facilitator)"
          : "watchdog shells";
    roles.set(role, (roles.get(role) ?? 0) + (cpuMs - (before.get(pid)?.cpuMs ?? 0)) / wallMs);
  }
  return roles;
}

function fmtCounts(calls: Call[]): string {
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c.outcome, (counts.get(c.outcome) ?? 0) + 1);
  return [...counts].map(([k, v]) => `${k} ×${v}`).join(", ") || "none";
}

function usd(micros: bigint): string {
  return `$${(Number(micros) / 1e6).toFixed(2)}`;
}
