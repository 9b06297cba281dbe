import { createHash } from "node:crypto";
import { Cluster, Redis } from "ioredis";
import type { Logger } from "../log.js";

/** Reconnects after a lost connection, backing off to 1 s, are given up after this many tries; the next call tries again. */
const MAX_RECONNECT_ATTEMPTS = 20;

/** One Redis (`url`) or the seed nodes of a Redis Cluster (`cluster`). */
export interface RedisTarget {
  url?: string | undefined;
  cluster?: readonly string[] | undefined;
}

/** A client of one Redis or of a cluster: the store uses only commands both route the same way. */
export type RedisClient = Redis | Cluster;

/**
 * A connection that fails fast: every command is bounded by `timeoutMs`, a command sent while
 * disconnected is refused at once (no offline queue), commands cut off by a lost connection
 * are failed, never resent (a resent reserve could count twice; see autoResendUnfulfilledCommands,
 * and for a cluster retryDelayOnFailover), and reconnecting is bounded. Connection problems are
 * logged once per outage.
 */
export function createRedisConnection(target: RedisTarget, timeoutMs: number, logger: Logger): RedisClient {
  const retryStrategy = (attempt: number) => (attempt > MAX_RECONNECT_ATTEMPTS ? null : Math.min(50 * 2 ** (attempt - 1), 1_000));
  const nodeOptions = {
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    // RESP2: plain replies on every server version that has streams (5.0+), managed ones included.
    protocol: 2,
    connectionName: "x402-wallet-mcp-budget",
  } as const;
  // Commands issued in the same turn of the event loop (the fleet's concurrent payments) go out
  // in one write and come back in one read: a socket write per script was most of the client's
  // CPU and much of Redis'. Each command keeps its own reply, errors and timeout.
  const enableAutoPipelining = true;
  const redis: RedisClient = target.cluster
    ? new Cluster(
        target.cluster.map((url) => clusterNodeOf(url)),
        {
          lazyConnect: true,
          enableOfflineQueue: false,
          enableAutoPipelining,
          clusterRetryStrategy: retryStrategy,
          // A command cut off by a lost connection is failed, not sent again to another node.
          retryDelayOnFailover: 0,
          // Every script writes: a wallet's keys are read and written on their master only.
          scaleReads: "master",
          redisOptions: { ...nodeOptions, ...credentialsOf(target.cluster[0] as string) },
        },
      )
    : new Redis(target.url as string, { ...nodeOptions, lazyConnect: true, enableOfflineQueue: false, enableAutoPipelining, retryStrategy });
  const where = describeRedisTarget(target);
  let down = false;
  // Without a listener ioredis prints errors itself; stdout must carry JSON-RPC only.
  redis.on("error", (error: Error) => {
    if (down) return;
    down = true;
    logger.log("warning", `the Redis budget store at ${where} is unreachable (${error.message}); payments are refused until it answers`);
  });
  redis.on("ready", () => {
    if (!down) return;
    down = false;
    logger.log("info", `the Redis budget store at ${where} answers again`);
  });
  return redis;
}

function clusterNodeOf(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ""), port: Number(parsed.port || 6379) };
}

/** A cluster's nodes share one user and password (and TLS): those of its first URL. */
function credentialsOf(url: string): { username?: string; password?: string; tls?: object } {
  const parsed = new URL(url);
  return {
    ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
    ...(parsed.protocol === "rediss:" && { tls: {} }),
  };
}

/** Where the store is, without passwords, for messages and logs. */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.cluster) return `the Redis Cluster of ${target.cluster.map(redactRedisUrl).join(", ")}`;
  return redactRedisUrl(target.url ?? "");
}

/** The servers to check settings and clocks on: the masters of a cluster (replicas serve no script), or the one Redis. */
export function serversOf(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes("master") : [redis];
}

/** Connects when not connected (the first time, or after reconnecting was given up), within `timeoutMs`. */
export async function ensureConnected(redis: RedisClient, timeoutMs: number): Promise<void> {
  if (redis.status !== "wait" && redis.status !== "end") return;
  await withDeadline(redis.connect(), timeoutMs, "connecting timed out");
}

export async function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A Lua script known by its SHA1: loaded once, then run with EVALSHA. */
export interface LoadedScript {
  lua: string;
  sha: string;
}

export function scriptOf(lua: string): LoadedScript {
  return { lua, sha: createHash("sha1").update(lua).digest("hex") };
}

/** SCRIPT LOAD on every server that runs scripts: each cluster master keeps its own script cache. */
export async function loadScripts(redis: RedisClient, scripts: readonly LoadedScript[]): Promise<void> {
  for (const server of serversOf(redis)) await loadScriptsOn(server, scripts);
}

async function loadScriptsOn(redis: Redis, scripts: readonly LoadedScript[]): Promise<void> {
  for (const script of scripts) {
    const sha = await redis.script("LOAD", script.lua);
    if (sha !== script.sha) throw new Error(`SCRIPT LOAD returned ${String(sha)}, expected ${script.sha}`);
  }
}

/**
 * EVALSHA in one round trip; on NOSCRIPT (the server restarted or flushed its script cache)
 * EVAL, which also caches it again. NOSCRIPT means the script did not run, so this never
 * runs one twice.
 */
export async function runScript(redis: RedisClient, script: LoadedScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return await redis.eval(script.lua, keys.length, ...keys, ...args);
  }
}

/** A script's reply, and how many replicas WAIT counted as holding it, or why WAIT gave no count. */
export interface ReplicatedReply {
  reply: unknown;
  acked: number | Error;
}

/**
 * The script, then `WAIT replicas waitMs`, pipelined on one connection: WAIT counts the replicas
 * that hold this connection's writes so far, so it must follow the script on the very connection
 * that ran it. In a cluster the pipeline goes whole to the master of the script's keys (WAIT has
 * no key to be routed by on its own). NOSCRIPT means the script did not run: EVAL then, and WAIT again.
 */
export async function runScriptThenWait(
  redis: RedisClient,
  script: LoadedScript,
  keys: readonly string[],
  args: readonly string[],
  replicas: number,
  waitMs: number,
): Promise<ReplicatedReply> {
  const send = (first: (p: ReturnType<RedisClient["pipeline"]>) => unknown) => {
    const pipeline = redis.pipeline();
    first(pipeline);
    return pipeline.wait(replicas, waitMs).exec();
  };
  const evalsha = (p: ReturnType<RedisClient["pipeline"]>) => p.evalsha(script.sha, keys.length, ...keys, ...args);
  let results = await send(evalsha);
  // A pipeline does not follow MOVED when WAIT, which has no key, answered where the script was
  // refused: the slot moved (a failover), the script did not run. Learn the slots and send again, once.
  if (redis instanceof Cluster && /^(MOVED|ASK) /.test(results?.[0]?.[0]?.message ?? "")) {
    await new Promise<void>((resolve, reject) => redis.refreshSlotsCache((error) => (error ? reject(error) : resolve())));
    results = await send(evalsha);
  }
  if (results?.[0]?.[0]?.message.startsWith("NOSCRIPT")) results = await send((p) => p.eval(script.lua, keys.length, ...keys, ...args));
  const [ran, waited] = results ?? [];
  if (!ran) throw new Error("the pipeline returned no reply");
  if (ran[0]) throw ran[0];
  if (!waited) return { reply: ran[1], acked: new Error("WAIT returned no reply") };
  return { reply: ran[1], acked: waited[0] ?? Number(waited[1]) };
}

/** The URL without its password, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unparsable Redis URL)";
  }
}

/** Warnings about server settings that would let the caps be forgotten. Best effort: INFO may be disabled. */
export async function checkServerSettings(redis: Redis, logger: Logger, where: string): Promise<void> {
  let info: string;
  try {
    info = await redis.info();
  } catch {
    return;
  }
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim();
  const policy = field("maxmemory_policy");
  if (policy !== undefined && policy !== "noeviction") {
    logger.log(
      "warning",
      `Redis at ${where} evicts keys under memory pressure (maxmemory-policy ${policy}); an evicted budget key would forget spending and loosen the caps. Set maxmemory-policy noeviction.`,
    );
  }
  if (field("aof_enabled") === "0") {
    logger.log(
      "warning",
      `Redis at ${where} runs without appendonly; a Redis restart can forget recent reservations and loosen the daily cap. Set appendonly yes (appendfsync always or everysec).`,
    );
  }
}

/** Past this, a server's clock and Redis' disagree enough to say so. */
const CLOCK_SKEW_WARNING_MS = 60_000;

/**
 * A warning when this server's clock and Redis' disagree. The caps do not depend on it (the
 * scripts read Redis' clock alone), but times this server shows, such as a receipt's, do.
 */
export async function checkClockSkew(redis: Redis, logger: Logger, where: string, now: () => number): Promise<void> {
  const [seconds, micros] = await redis.time();
  const skew = Math.round((now() - (Number(seconds) * 1000 + Number(micros) / 1000)) / 1000);
  if (Math.abs(skew) * 1000 < CLOCK_SKEW_WARNING_MS) return;
  logger.log(
    "warning",
    `this server's clock is ${Math.abs(skew)} s ${skew > 0 ? "ahead of" : "behind"} the clock of Redis at ${where}. The budget's 24 h window and leases run on Redis' clock, so the caps are not affected, but times this server shows (receipts, logs) are off. Set the clock right (NTP).`,
  );
}
