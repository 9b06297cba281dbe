import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { RedisBudgetStore } from "../src/budget/redisStore.js";
import { walletKeys } from "../src/budget/redisWire.js";
import type { PaymentOutcome, Reservation } from "../src/budget/types.js";
import { startRedis, type RedisHandle } from "../test/rig/redis.js";
import { machineBusyOver, machineCpuMs, pct, processCpuMs } from "./cpuTime.js";
import { envInt } from "./harness.js";
import type { Cycle, FromWorker, ToWorker, WorkerArgs } from "./redisReservationsWorker.js";
import { median, p95, rotation, type Row, type ScenarioResult } from "./stats.js";

const NAME = "redisReservations";
const WORKER = resolve(import.meta.dirname, "redisReservationsWorker.ts");
const PROCESSES = 8;
const TARGET_PER_SECOND = 20_000;
const PREFIX = "bench:";
const WALLETS: Record<Cycle, string> = {
  "reserve+release": "0xbench00000000000000000000000000000000release",
  "reserve+recordSigned+commit": "0xbench000000000000000000000000000000000commit",
};

interface Variant {
  name: string;
  processes: number;
  cycle: Cycle;
  fsync: "always" | "everysec";
  /** Per slice: what the processes reported, and what Redis and the machine spent meanwhile. */
  slices: Slice[];
}

interface Slice {
  done: Extract<FromWorker, { type: "done" }>[];
  wallMs: number;
  redisCpuMs: number;
  machineBusyMs: number;
  machineTotalMs: number;
  scriptCalls: number;
  scriptUsec: number;
}

interface Worker {
  child: ChildProcess;
  next(): Promise<FromWorker>;
}

/**
 * Reservations per second on one wallet's Redis budget from 8 processes (the fleet's
 * servers), against a real redis-server with AOF `appendfsync always` (what the README
 * recommends), next to 1 process as the baseline. Each process is a forked node that opens
 * RedisBudgetStore as a server does and keeps BENCH_REDIS_INFLIGHT (default 4) cycles of
 * reserve() + release() in flight: reserve() is the cap check, release() gives the amount
 * back, so the caps never bind and every reservation is one full cycle of two Lua scripts.
 * Two more variants show what bounds it: the paid path's three scripts
 * (reserve + recordSigned + commit) and the same 8 processes with `appendfsync everysec`.
 * Variants alternate in rounds; Redis's CPU comes from /proc/<pid>/stat, its time inside
 * the scripts from INFO commandstats.
 */
export async function redisReservations(): Promise<ScenarioResult> {
  const seconds = envInt("BENCH_REDIS_SECONDS", 15);
  const inflight = envInt("BENCH_REDIS_INFLIGHT", 4);
  const rounds = 3;
  const sliceMs = (seconds * 1000) / rounds;
  const redis = await startRedis();
  const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const workers: Worker[] = [];
  try {
    const idleBefore = await machineBusyOver();
    const fsync = fsyncProbe();
    await admin.connect();
    for (let i = 0; i < PROCESSES; i++) workers.push(startWorker({ url: redis.url, prefix: PREFIX, wallets: WALLETS, session: `bench-process-${i}` }));
    const ready = await Promise.all(workers.map((w) => w.next()));
    if (ready.some((m) => m.type !== "ready")) throw new Error("bench: a reservation worker did not start");

    const variants: Variant[] = [
      { name: "1 process", processes: 1, cycle: "reserve+release", fsync: "always", slices: [] },
      { name: `${PROCESSES} processes`, processes: PROCESSES, cycle: "reserve+release", fsync: "always", slices: [] },
      { name: `${PROCESSES} processes, paid path`, processes: PROCESSES, cycle: "reserve+recordSigned+commit", fsync: "always", slices: [] },
      { name: `${PROCESSES} processes, appendfsync everysec`, processes: PROCESSES, cycle: "reserve+release", fsync: "everysec", slices: [] },
    ];
    for (let round = 0; round < rounds; round++) {
      for (const v of rotation(variants, round)) v.slices.push(await runSlice(v, workers.slice(0, v.processes), redis, admin, inflight, sliceMs));
    }
    await admin.config("SET", "appendfsync", "always");
    const perScript = await scriptProfile(redis.url, admin);
    const floor = redisBenchmarkFloor(redis.port, admin);

    // reserve + release gives every amount back: the wallet's day total and its leases must be empty again.
    const releaseKeys = walletKeys(PREFIX, WALLETS["reserve+release"]);
    const dayLeft = (await admin.get(releaseKeys[3]!)) ?? "0";
    const leasesLeft = await admin.zcard(releaseKeys[1]!);
    const paidKeys = walletKeys(PREFIX, WALLETS["reserve+recordSigned+commit"]);
    const paidCycles = variants.filter((v) => v.cycle !== "reserve+release").reduce((sum, v) => sum + cycles(v), 0);
    const paidDay = BigInt((await admin.get(paidKeys[3]!)) ?? "0");
    const consistent = BigInt(dayLeft) === 0n && leasesLeft === 0 && paidDay === BigInt(paidCycles) * 10_000n;

    const rows: Row[] = [];
    const notes: string[] = [];
    const base = variants[0]!;
    const baseRate = rate(base);
    const baseLatency = samples(base, "reserveMs");
    for (const v of variants) {
      const r = rate(v);
      const isTarget = v.processes === PROCESSES && v.cycle === "reserve+release" && v.fsync === "always";
      const redisCore = sum(v, "redisCpuMs") / sum(v, "wallMs");
      const machine = sum(v, "machineBusyMs") / sum(v, "machineTotalMs");
      const clientsCore = v.slices.reduce((s, slice) => s + slice.done.reduce((t, d) => t + d.cpuMs, 0), 0) / sum(v, "wallMs");
      // In cores: what the machine's busy time leaves once Redis and our clients are taken out.
      const othersCore = sum(v, "machineBusyMs") / sum(v, "wallMs") - redisCore - clientsCore;
      const usecPerScript = sum(v, "scriptUsec") / Math.max(1, sum(v, "scriptCalls"));
      const scriptsPerCycle = v.cycle === "reserve+release" ? 2 : 3;
      const redisCpuPerCycleUs = (sum(v, "redisCpuMs") * 1000) / Math.max(1, cycles(v));
      const bound =
        `Redis ${pct(redisCore)} of one core (${redisCpuPerCycleUs.toFixed(0)} µs CPU per cycle, ${(usecPerScript * scriptsPerCycle).toFixed(0)} µs of it inside ${scriptsPerCycle} scripts), ` +
        `the ${v.processes} client process${v.processes === 1 ? "" : "es"} ${pct(clientsCore)} of a core, the machine ${pct(machine)} busy (the rest, bench parent and other processes, ${pct(Math.max(0, othersCore))} of a core)`;
      rows.push({
        scenario: NAME,
        variant: `${v.name}: ${v.cycle}/s`,
        n: cycles(v),
        median: r,
        p95: null,
        unit: "reservations/s",
        ratio: v === base ? null : r / baseRate,
        ...(v === base ? {} : { baseline: base.name }),
        ...(isTarget ? { target: `≥ ${TARGET_PER_SECOND}/s`, pass: r >= TARGET_PER_SECOND } : {}),
        note: `${v.processes} × ${inflight} in flight, appendfsync ${v.fsync}; ${bound}`,
      });
      const lat = samples(v, "reserveMs");
      const perProcess = perProcessStats(v);
      rows.push({
        scenario: NAME,
        variant: `${v.name}: reserve() latency`,
        n: lat.length,
        median: median(lat),
        p95: p95(lat),
        unit: "ms",
        ratio: v === base ? null : median(lat) / median(baseLatency),
        ...(v === base ? {} : { baseline: base.name }),
        note: `per process: median ${range(perProcess.map((p) => p.median))} ms, p95 ${range(perProcess.map((p) => p.p95))} ms; full cycle median ${median(samples(v, "cycleMs")).toFixed(2)} ms`,
      });
      const errors = v.slices.flatMap((s) => s.done.flatMap((d) => d.errors));
      if (errors.length > 0) notes.push(`Redis reservations, ${v.name}: ${errors.length} failed cycles, e.g. ${errors.filter(Boolean).slice(0, 2).join(" / ")}`);
    }
    const target = variants[1]!;
    const everysec = variants[3]!;
    notes.push(
      `Redis reservations: ${PROCESSES} forked node processes, each with its own RedisBudgetStore on ONE wallet (all keys in one {wallet} hash tag, so one Redis core serves them all), ` +
        `${inflight} cycles in flight each, ${seconds} s per variant in ${rounds} alternating slices, against redis-server ${redisVersion()} (AOF on, appendfsync always unless said) on loopback. ` +
        `A cycle is reserve() (the cap check: one Lua script that checks session, day and agent caps and records the reservation and its ledger event) then release() (one more script); ` +
        `"paid path" is reserve + recordSigned + commit, what a paid call runs. Caps do not bind (perDay far above the run); ` +
        `after the run the released wallet's day total is ${dayLeft} and its leases ${leasesLeft}, and the paid wallet's day total is ${paidDay} µUSD for ${paidCycles} cycles × 10 000: ${consistent ? "consistent" : "INCONSISTENT"}.`,
      boundNote(target, everysec, fsync, idleBefore),
      `Redis reservations, where Redis's time goes: inside each script, run alone one after another (INFO commandstats, ${PROFILE_CALLS} calls each, appendfsync always): ` +
        `${Object.entries(perScript).map(([op, us]) => `${op} ${us.toFixed(1)} µs`).join(", ")}. ` +
        (await floor),
    );
    return { rows, notes };
  } finally {
    for (const w of workers) {
      if (w.child.connected) w.child.send({ type: "stop" } satisfies ToWorker);
    }
    await Promise.all(workers.map((w) => exitOf(w.child, 5_000)));
    admin.disconnect();
    await redis.stop();
  }
}

async function runSlice(v: Variant, workers: Worker[], redis: RedisHandle, admin: Redis, inflight: number, ms: number): Promise<Slice> {
  await admin.config("SET", "appendfsync", v.fsync);
  await admin.config("RESETSTAT");
  const pid = redis.pid();
  if (pid === undefined) throw new Error("bench: redis-server is not running");
  const startAt = Date.now() + 100;
  const until = startAt + ms;
  const replies = workers.map((w) => w.next());
  for (const w of workers) w.child.send({ type: "run", startAt, until, inflight, cycle: v.cycle } satisfies ToWorker);
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const cpu0 = processCpuMs(pid);
  const machine0 = machineCpuMs();
  const t0 = Date.now();
  const done = await Promise.all(replies);
  const wallMs = Date.now() - t0;
  const cpu1 = processCpuMs(pid);
  const machine1 = machineCpuMs();
  const stats = scriptStats(await admin.info("commandstats"));
  for (const d of done) if (d.type !== "done") throw new Error("bench: unexpected message from a reservation worker");
  return {
    done: done as Extract<FromWorker, { type: "done" }>[],
    wallMs,
    redisCpuMs: cpu1 - cpu0,
    machineBusyMs: machine1.busy - machine0.busy,
    machineTotalMs: machine1.total - machine0.total,
    scriptCalls: stats.calls,
    scriptUsec: stats.usec,
  };
}

function startWorker(args: WorkerArgs): Worker {
  const child = fork(WORKER, [JSON.stringify(args)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const queue: FromWorker[] = [];
  const waiting: ((m: FromWorker) => void)[] = [];
  const failures: ((e: Error) => void)[] = [];
  child.on("message", (m: FromWorker) => {
    const take = waiting.shift();
    failures.shift();
    if (take) take(m);
    else queue.push(m);
  });
  child.on("exit", (code) => {
    for (const fail of failures.splice(0)) fail(new Error(`bench: a reservation worker exited (${code})`));
    waiting.splice(0);
  });
  return {
    child,
    next: () => {
      const ready = queue.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolveIt, reject) => {
        waiting.push(resolveIt);
        failures.push(reject);
      });
    },
  };
}

function exitOf(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveIt) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolveIt();
    });
  });
}

/** Total reservations per second over the variant's slices (each slice: first start to last end). */
function rate(v: Variant): number {
  let cyclesTotal = 0;
  let ms = 0;
  for (const s of v.slices) {
    cyclesTotal += s.done.reduce((t, d) => t + d.cycles, 0);
    ms += Math.max(...s.done.map((d) => d.endedAt)) - Math.min(...s.done.map((d) => d.startedAt));
  }
  return ms > 0 ? cyclesTotal / (ms / 1000) : 0;
}

function cycles(v: Variant): number {
  return v.slices.reduce((s, slice) => s + slice.done.reduce((t, d) => t + d.cycles, 0), 0);
}

function samples(v: Variant, key: "reserveMs" | "cycleMs"): number[] {
  return v.slices.flatMap((s) => s.done.flatMap((d) => d[key]));
}

/** Median and p95 of reserve() for each process (the same process index across slices). */
function perProcessStats(v: Variant): { median: number; p95: number }[] {
  return Array.from({ length: v.processes }, (_, i) => {
    const mine = v.slices.flatMap((s) => s.done[i]?.reserveMs ?? []);
    return { median: median(mine), p95: p95(mine) };
  });
}

function sum(v: Variant, key: "wallMs" | "redisCpuMs" | "machineBusyMs" | "machineTotalMs" | "scriptCalls" | "scriptUsec"): number {
  return v.slices.reduce((s, slice) => s + slice[key], 0);
}

function range(values: number[]): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? lo.toFixed(2) : `${lo.toFixed(2)}–${hi.toFixed(2)}`;
}

/**
 * What held the 8-process rate, from the run's own measurements: the CPU each cycle costs
 * Redis and the clients, how busy the 2 cores were, and what fsync costs (always vs everysec).
 */
function boundNote(target: Variant, everysec: Variant, fsync: { n: number; median: number; p95: number }, idleBefore: number): string {
  const n = Math.max(1, cycles(target));
  const redisUs = (sum(target, "redisCpuMs") * 1000) / n;
  const clientsUs = (target.slices.reduce((s, slice) => s + slice.done.reduce((t, d) => t + d.cpuMs, 0), 0) * 1000) / n;
  const busy = sum(target, "machineBusyMs") / sum(target, "machineTotalMs");
  const cores = sum(target, "machineTotalMs") / sum(target, "wallMs");
  const fsyncShare = 1 - rate(target) / Math.max(1, rate(everysec));
  const cpuBound = busy >= 0.85;
  return (
    `Redis reservations, what bounds it: each reserve+release cycle of the ${PROCESSES}-process run cost Redis ${redisUs.toFixed(0)} µs of CPU ` +
    `(${pct(sum(target, "redisCpuMs") / sum(target, "wallMs"))} of its one core at ${rate(target).toFixed(0)}/s; alone on a core that is a ceiling of about ${(1e6 / redisUs).toFixed(0)}/s for one wallet) ` +
    `and our ${PROCESSES} client processes ${clientsUs.toFixed(0)} µs (ioredis, JSON of the ledger event, the store's checks), and the ${cores.toFixed(0)} cores were ${pct(busy)} busy` +
    (cpuBound
      ? `: the machine's cores, shared by Redis, the clients and whatever else ran, are what held the rate, not Redis's core. `
      : `: neither Redis's core nor the machine was full, so waiting (fsync, round trips) held the rate. `) +
    `appendfsync everysec instead of always gives ${rate(everysec).toFixed(0)}/s against ${rate(target).toFixed(0)}/s (the fsync before each batch of replies costs ${pct(fsyncShare)}); ` +
    `an fdatasync of a small append on this disk takes median ${fsync.median.toFixed(2)} ms, p95 ${fsync.p95.toFixed(2)} ms (${fsync.n} probes before the run). ` +
    `On a fleet, each wallet's keys sit in one hash slot, so one wallet's reservations are served by one Redis core whatever the cluster size; more wallets spread over more cores. ` +
    `The machine was ${pct(idleBefore)} busy in the second before the scenario started.`
  );
}

/** How long an fdatasync of a small append takes on the file system of the temp dir (where the rig's Redis keeps its AOF). */
function fsyncProbe(n = 200): { n: number; median: number; p95: number } {
  const dir = mkdtempSync(join(tmpdir(), "x402-bench-fsync-"));
  const fd = openSync(join(dir, "probe"), "w");
  const chunk = Buffer.alloc(512, 0x61);
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      writeSync(fd, chunk);
      const t = performance.now();
      fdatasyncSync(fd);
      times.push(performance.now() - t);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  return { n, median: median(times), p95: p95(times) };
}

const PROFILE_CALLS = 1_000;

/** Per operation, the µs Redis spends inside its script, one call at a time on a wallet of its own. */
async function scriptProfile(url: string, admin: Redis): Promise<Record<string, number>> {
  const store = await RedisBudgetStore.open({ url, prefix: PREFIX, wallet: "0xbench000000000000000000000000000000000profile", leaseMs: 60_000, timeoutMs: 5_000, logger: { log: () => undefined } });
  const request = {
    sessionId: "profile",
    usdMicros: 10_000n,
    limits: { perCall: 1_000_000n, perSession: 10n ** 12n, perDay: 10n ** 12n, hosts: [], agent: { name: "bench", perDay: 10n ** 12n } },
    meta: { agent: "bench", url: "http://127.0.0.1/paid", host: "127.0.0.1", network: "eip155:84532", asset: "0x036CbD53842c5426634e7929541eC2318f3dCF7e", amountAtomic: 10_000n, payTo: "0x0000000000000000000000000000000000000001" },
  };
  const usPerCall = async (op: () => Promise<unknown>): Promise<number> => {
    await admin.config("RESETSTAT");
    for (let i = 0; i < PROFILE_CALLS; i++) await op();
    const stats = scriptStats(await admin.info("commandstats"));
    return stats.usec / Math.max(1, stats.calls);
  };
  try {
    const held: Reservation[] = [];
    const result: Record<string, number> = {};
    result.reserve = await usPerCall(async () => held.push(await store.reserve(request)));
    result.release = await usPerCall(async () => store.release(held.pop()!));
    for (let i = 0; i < PROFILE_CALLS; i++) held.push(await store.reserve(request));
    const signed = [...held];
    result.recordSigned = await usPerCall(async () => store.recordSigned(held.pop()!, { payer: "0x0000000000000000000000000000000000000002", validBefore: 2_000_000_000, nonce: "0x01" }));
    result.commit = await usPerCall(async () => {
      const reservation = signed.pop()!;
      await store.commit(reservation, outcomeOf(reservation));
    });
    result.usage = await usPerCall(async () => store.usage({ sessionId: "profile", agent: "bench", hostPatterns: [] }));
    return result;
  } finally {
    await store.close();
  }
}

function outcomeOf(reservation: Reservation): PaymentOutcome {
  const meta = reservation.request.meta;
  return {
    status: "settled",
    receipt: {
      status: "settled",
      amount: "0.01",
      amountAtomic: meta.amountAtomic.toString(),
      asset: meta.asset,
      symbol: "USDC",
      network: meta.network,
      payTo: meta.payTo,
      payer: "0x0000000000000000000000000000000000000002",
      transaction: `0x${reservation.id.replace(/-/g, "").padEnd(64, "0")}`,
      explorerUrl: null,
      scheme: "exact",
      x402Version: 2,
      resource: meta.url,
      paidAt: new Date().toISOString(),
    },
  };
}

/**
 * Redis's own floor on this machine, from redis-benchmark (one more process, about a core of its
 * own) with as many connections as the 8 processes keep cycles in flight: EVALSHA of a script
 * that does nothing, and of one that writes one key (so appendfsync always fsyncs as for ours).
 */
async function redisBenchmarkFloor(port: number, admin: Redis): Promise<string> {
  const noop = (await admin.script("LOAD", "return 1")) as string;
  const write = (await admin.script("LOAD", "return redis.call('INCR', KEYS[1])")) as string;
  const run = (...command: string[]): number => {
    const out = execFileSync("redis-benchmark", ["-p", String(port), "-c", "32", "-n", "100000", "-q", ...command], { encoding: "utf8" });
    return Number(/([\d.]+) requests per second/.exec(out)?.[1] ?? Number.NaN);
  };
  try {
    const bare = run("EVALSHA", noop, "0");
    const writing = run("EVALSHA", write, "1", "bench:{floor}:n");
    await admin.config("SET", "appendfsync", "everysec");
    const writingEverysec = run("EVALSHA", write, "1", "bench:{floor}:n");
    await admin.config("SET", "appendfsync", "always");
    return (
      `Redis's floor on this machine (redis-benchmark, 32 connections, 100 000 calls): EVALSHA of a script doing nothing ${bare.toFixed(0)}/s, ` +
      `of one writing one key ${writing.toFixed(0)}/s with appendfsync always and ${writingEverysec.toFixed(0)}/s with everysec; ` +
      `a reservation cycle is two script calls, so ${(writing / 2).toFixed(0)} cycles/s is what Redis could do here with scripts that cost nothing.`
    );
  } catch (error) {
    return `redis-benchmark could not run (${(error as Error).message.split("\n")[0]}).`;
  }
}

/** EVALSHA calls and the µs Redis spent inside them since CONFIG RESETSTAT. */
function scriptStats(info: string): { calls: number; usec: number } {
  const m = /^cmdstat_evalsha:calls=(\d+),usec=(\d+)/m.exec(info);
  return { calls: Number(m?.[1] ?? 0), usec: Number(m?.[2] ?? 0) };
}

function redisVersion(): string {
  try {
    return /v=(\S+)/.exec(execFileSync(process.env.REDIS_SERVER_BIN ?? "redis-server", ["--version"], { encoding: "utf8" }))?.[1] ?? "?";
  } catch {
    return "?";
  }
}
