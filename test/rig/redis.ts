import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { freePort } from "./anvil.js";

export interface RedisHandle {
  url: string;
  port: number;
  /** The redis-server's own pid (not the watchdog's), for SIGSTOP/SIGCONT; undefined while stopped. */
  pid(): number | undefined;
  /** Kills the server (SIGKILL: appendfsync always means nothing acknowledged is lost). */
  stop(): Promise<void>;
  /** Kills it if running, then starts it again on the same port and data dir (the AOF is replayed). */
  restart(): Promise<void>;
  /** Freezes the server (SIGSTOP) for `ms`, then resumes it (SIGCONT); resolves once resumed. */
  pause(ms: number): Promise<void>;
}

const MISSING = "install Debian's redis-server (apt-get install -y redis-server), or set REDIS_SERVER_BIN";

/** REDIS_SERVER_BIN, else `redis-server` on PATH, else /usr/bin/redis-server. */
export function resolveRedisServerBinary(): string {
  const fromEnv = process.env.REDIS_SERVER_BIN;
  const candidates = fromEnv
    ? [fromEnv]
    : [...(process.env.PATH ?? "").split(delimiter).filter(Boolean).map((dir) => join(dir, "redis-server")), "/usr/bin/redis-server"];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    fromEnv
      ? `test rig: REDIS_SERVER_BIN="${fromEnv}" is missing or not executable: ${MISSING}`
      : `test rig: redis-server not found on PATH or at /usr/bin/redis-server: ${MISSING}`,
  );
}

/**
 * Same watchdog as anvil's: `sh` starts redis-server, then blocks reading the pipe from this
 * process; when the pipe closes (stop(), or this process dying in any way, even SIGKILL) it
 * kills redis-server, so no server outlives the test run.
 */
const WATCHDOG = `
exec 3<&0
"$0" "$@" </dev/null &
a=$!
( cat <&3 >/dev/null; kill -CONT "$a" 2>/dev/null; kill -9 "$a" 2>/dev/null ) &
exec 3<&-
wait "$a"
`;

const live = new Set<ChildProcess>();
const dataDirs = new Set<string>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) {
      killGroup(child, "SIGCONT");
      killGroup(child);
    }
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** A redis-server on a free 127.0.0.1 port with its own temp dir, AOF fsynced on every write, no RDB. */
export async function startRedis(): Promise<RedisHandle> {
  const bin = resolveRedisServerBinary();
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), "x402-redis-"));
  dataDirs.add(dir);
  let lastError: Error | undefined;
  // A port from freePort() can be taken by someone else before redis binds it; retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      let server: Running | undefined = await launch(bin, port, dir);
      const url = `redis://127.0.0.1:${port}`;
      return {
        url,
        port,
        pid: () => server?.pid,
        async stop() {
          const current = server;
          server = undefined;
          await current?.stop();
        },
        async restart() {
          const current = server;
          server = undefined;
          await current?.stop();
          server = await launch(bin, port, dir);
        },
        async pause(ms) {
          const pid = server?.pid;
          if (pid === undefined) throw new Error("test rig: redis-server is not running");
          process.kill(pid, "SIGSTOP");
          try {
            await new Promise((r) => setTimeout(r, ms));
          } finally {
            process.kill(pid, "SIGCONT");
          }
        },
      };
    } catch (err) {
      lastError = err as Error;
      if (!/address already in use/i.test(lastError.message)) break;
    }
  }
  throw lastError ?? new Error("test rig: redis-server failed to start");
}

export interface Running {
  pid: number;
  stop(): Promise<void>;
}

/** A temp dir for a redis-server's data, removed when this process exits. */
export function redisDataDir(): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), "x402-redis-"));
  dataDirs.add(dir);
  return dir;
}

/** One redis-server under the watchdog, answering PING; `extraArgs` come after the usual ones (the cluster rig's). */
export async function launch(bin: string, port: number, dir: string, extraArgs: readonly string[] = []): Promise<Running> {
  const pidFile = join(dir, "redis.pid");
  rmSync(pidFile, { force: true });
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--dir", dir,
    "--pidfile", pidFile,
    "--daemonize", "no",
    "--appendonly", "yes",
    "--appendfsync", "always",
    "--save", "",
    "--logfile", "",
    "--maxmemory-policy", "noeviction",
    ...extraArgs,
  ];
  const child = spawn("/bin/sh", ["-c", WATCHDOG, bin, ...args], { stdio: ["pipe", "pipe", "pipe"], detached: true });
  live.add(child);
  let output = "";
  const collect = (chunk: string) => {
    output = (output + chunk).slice(-4000);
  };
  child.stdout?.setEncoding("utf8").on("data", collect);
  child.stderr?.setEncoding("utf8").on("data", collect);
  let hasExited = false;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      hasExited = true;
      live.delete(child);
      child.stdin?.destroy();
      resolve();
    });
  });
  child.once("error", () => undefined);

  const stop = async () => {
    if (hasExited) return;
    child.stdin?.end();
    const timer = setTimeout(() => killGroup(child), 2000);
    await exited;
    clearTimeout(timer);
    killGroup(child);
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (hasExited) throw new Error(`test rig: redis-server exited during startup: ${output.trim() || "(no output)"}`);
    if (await answersPing(port)) break;
    if (Date.now() > deadline) {
      killGroup(child);
      throw new Error(`test rig: redis-server did not answer PING on 127.0.0.1:${port} within 15s: ${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`test rig: unreadable pid file ${pidFile}`);
  return { pid, stop };
}

/** PING as an inline command; true on +PONG (a server still loading its AOF answers -LOADING). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}
