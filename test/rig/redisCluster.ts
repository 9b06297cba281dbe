import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { freePort } from "./anvil.js";
import { launch, redisDataDir, resolveRedisServerBinary, type Running } from "./redis.js";

const run = promisify(execFile);

export interface RedisClusterNode {
  port: number;
  url: string;
}

export interface RedisClusterHandle {
  /** Every node's URL: the store's `store.cluster` seeds. */
  urls: string[];
  nodes: RedisClusterNode[];
  /** How long starting the 6 servers and forming the cluster took. */
  startedInMs: number;
  /** The port of the master that holds `key`'s slot now (CLUSTER KEYSLOT, then CLUSTER SLOTS). */
  masterPortOf(key: string): Promise<number>;
  /** The ports of the masters, as CLUSTER NODES lists them. */
  masterPorts(): Promise<number[]>;
  /** The port of a replica of the master on `port`, as CLUSTER NODES lists them. */
  replicaPortOf(port: number): Promise<number>;
  /** Sends SIGSTOP or SIGCONT to the server on `port`: a stopped replica lags behind its master. */
  signal(port: number, signal: "SIGSTOP" | "SIGCONT"): void;
  /** SIGKILLs the server on `port`: what it had not yet replicated dies with it. */
  kill(port: number): void;
  /** Waits until `key`'s slot has a master other than `port` (its replica promoted) and the cluster says ok; returns that master's port. */
  untilPromotedFrom(port: number, key: string, withinMs: number): Promise<number>;
  /** Starts a killed server again on its own data dir and nodes.conf, and waits until it is a synced replica (a killed master rejoins under the one promoted in its place). */
  rejoin(port: number, withinMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** REDIS_CLI_BIN, else redis-cli beside redis-server (Debian's redis-server package ships both). */
function resolveRedisCli(serverBin: string): string {
  const candidate = process.env.REDIS_CLI_BIN ?? join(dirname(serverBin), "redis-cli");
  accessSync(candidate, constants.X_OK);
  return candidate;
}

/**
 * A Redis Cluster of 3 masters and 3 replicas on free 127.0.0.1 ports, each server with its
 * own temp dir and AOF, formed by `redis-cli --cluster create --cluster-replicas 1`. The bus
 * ports are chosen too (`cluster-port`): port + 10000 can be past 65535 for an ephemeral port.
 * If any step fails, every server started so far is stopped before the error is thrown.
 */
export async function startRedisCluster(): Promise<RedisClusterHandle> {
  const started = Date.now();
  const bin = resolveRedisServerBinary();
  const cli = resolveRedisCli(bin);
  const running: Running[] = [];
  const stop = async () => {
    await Promise.all(running.map((server) => server.stop()));
  };
  try {
    const ports = await distinctFreePorts(12);
    const nodes = ports.slice(0, 6).map((port) => ({ port, url: `redis://127.0.0.1:${port}` }));
    const dirs = nodes.map(() => redisDataDir());
    const argsOf = (i: number) => [
      "--cluster-enabled", "yes",
      "--cluster-config-file", "nodes.conf",
      "--cluster-node-timeout", "2000",
      // A replica's first sync starts at once, not 5 s later: WAIT counts only synced replicas.
      "--repl-diskless-sync-delay", "0",
      "--cluster-port", String(ports[6 + i]),
    ];
    const byPort = new Map<number, Running>();
    const start = (i: number) =>
      launch(bin, nodes[i]!.port, dirs[i]!, argsOf(i)).then((server) => {
        running.push(server);
        byPort.set(nodes[i]!.port, server);
        return server;
      });
    const launched = await Promise.all(nodes.map((_, i) => start(i)));
    if (launched.length !== 6) throw new Error("test rig: not every cluster node started");
    await run(cli, ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "1", "--cluster-yes"], { timeout: 30_000 });
    await untilClusterOk(nodes);
    const pidOf = (port: number) => {
      const server = byPort.get(port);
      if (!server) throw new Error(`test rig: no cluster node on port ${port}`);
      return server.pid;
    };
    const killed = new Set<number>();
    // Asked of a live node: a killed one answers nothing.
    const onLiveNode = <T>(fn: (redis: Redis) => Promise<T>) => withConnection(nodes.find((n) => !killed.has(n.port))!.port, fn);
    const masterPortOf = (key: string): Promise<number> =>
      onLiveNode(async (redis) => {
        const slot = Number(await redis.call("CLUSTER", "KEYSLOT", key));
        const ranges = (await redis.call("CLUSTER", "SLOTS")) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (!range) throw new Error(`test rig: no master holds slot ${slot}`);
        return Number(range[2][1]);
      });
    return {
      urls: nodes.map((n) => n.url),
      nodes,
      startedInMs: Date.now() - started,
      masterPortOf,
      async masterPorts() {
        return onLiveNode(async (redis) => {
          const lines = String(await redis.call("CLUSTER", "NODES")).trim().split("\n");
          return lines.filter((line) => line.split(" ")[2]?.includes("master")).map((line) => Number(/:(\d+)@/.exec(line)?.[1]));
        });
      },
      async replicaPortOf(port) {
        return onLiveNode(async (redis) => {
          const lines = String(await redis.call("CLUSTER", "NODES")).trim().split("\n").map((line) => line.split(" "));
          const masterId = lines.find((fields) => fields[1]?.startsWith(`127.0.0.1:${port}@`))?.[0];
          const replica = lines.find((fields) => fields[2]?.includes("slave") && fields[3] === masterId);
          if (!masterId || !replica) throw new Error(`test rig: no replica of ${port} in CLUSTER NODES`);
          return Number(/:(\d+)@/.exec(replica[1]!)?.[1]);
        });
      },
      signal(port, signal) {
        process.kill(pidOf(port), signal);
      },
      kill(port) {
        killed.add(port);
        process.kill(pidOf(port), "SIGKILL");
      },
      async untilPromotedFrom(port, key, withinMs) {
        const deadline = Date.now() + withinMs;
        for (;;) {
          const master = await masterPortOf(key).catch(() => port);
          const ok = await onLiveNode(async (redis) => /cluster_state:ok/.test(String(await redis.call("CLUSTER", "INFO"))));
          if (master !== port && ok) return master;
          if (Date.now() > deadline) throw new Error(`test rig: no replica of ${port} was promoted within ${withinMs} ms`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      async rejoin(port, withinMs) {
        const i = nodes.findIndex((n) => n.port === port);
        if (i < 0 || !killed.has(port)) throw new Error(`test rig: ${port} is not a killed cluster node`);
        await start(i);
        killed.delete(port);
        const deadline = Date.now() + withinMs;
        for (;;) {
          const replication = await withConnection(port, (redis) => redis.info("replication"));
          if (/role:slave/.test(replication) && /master_link_status:up/.test(replication)) return;
          if (Date.now() > deadline) throw new Error(`test rig: ${port} did not rejoin as a synced replica within ${withinMs} ms:\n${replication}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

async function withConnection<T>(port: number, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on("error", () => undefined);
  await redis.connect();
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/**
 * Every node says cluster_state:ok with all 16384 slots assigned and sees 3 masters and 3
 * replicas (the replica roles reach the other nodes by gossip, after redis-cli returns), and
 * every replica has finished its first sync, within 30 s.
 */
async function untilClusterOk(nodes: readonly RedisClusterNode[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const node of nodes) {
    for (;;) {
      const [info, roles, replication] = await withConnection(node.port, async (redis) => [
        String(await redis.call("CLUSTER", "INFO")),
        String(await redis.call("CLUSTER", "NODES")).trim().split("\n").map((line) => (line.split(" ")[2]?.includes("master") ? "master" : "replica")),
        await redis.info("replication"),
      ]);
      const formed = roles.filter((r) => r === "master").length === 3 && roles.filter((r) => r === "replica").length === 3;
      // A replica still in its first sync acknowledges nothing to WAIT (store.minReplicasAcked).
      const synced = !/role:slave/.test(replication) || /master_link_status:up/.test(replication);
      if (/cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info) && formed && synced) break;
      if (Date.now() > deadline) throw new Error(`test rig: the Redis Cluster did not reach cluster_state:ok on port ${node.port} within 30 s:\n${info}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
