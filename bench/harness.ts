import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ConfigInput } from "../src/config/schema.js";
import type { Rig, RigWallet } from "../test/rig/index.js";
import type { OfficialExtraAsset } from "./officialClient.js";

/** The built server: `npm run bench` builds it first. */
export const SERVER_ENTRY = resolve(import.meta.dirname, "../dist/index.js");

/** What `npx x402-wallet-mcp` runs: the package's bin, the bundle `npm run build` writes beside dist/. */
export const BIN_ENTRY = resolve(
  import.meta.dirname,
  "..",
  (JSON.parse(readFileSync(resolve(import.meta.dirname, "../package.json"), "utf8")) as { bin: Record<string, string> }).bin["x402-wallet-mcp"]!,
);

/** The cold-start baseline: a minimal `@modelcontextprotocol/sdk` stdio server with one tool. */
export const MINIMAL_SDK_SERVER = resolve(import.meta.dirname, "minimalSdkServer.mjs");

/**
 * A build of an earlier revision (bench/buildBaseline.sh), for before/after runs: the
 * scenarios that support it add a "before" variant, alternated with the current build.
 */
export const BEFORE_ENTRY: string | undefined = process.env.BENCH_BEFORE_ENTRY || undefined;

/** The revision BEFORE_ENTRY was built from, as buildBaseline.sh recorded it. */
export function beforeLabel(): string {
  if (!BEFORE_ENTRY) return "before";
  try {
    return `before (${readFileSync(resolve(BEFORE_ENTRY, "../../REV"), "utf8").trim()})`;
  } catch {
    return "before";
  }
}

/** Price of the rig's GET /paid, in USDC atomic units (and USD micros). */
export const PAID_PRICE_ATOMIC = 10_000n;

/** A number from the environment, or the default; a bad value is an error, not a silent default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bench: ${name} must be a positive number, got "${raw}"`);
  return value;
}

/** A fresh temp folder for one server's config and ledger. */
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `x402-bench-${label}-`));
}

/** The base config of the brief, plus the scenario's changes (one level deep merge of objects). */
export function benchConfig(rig: Rig, ledger: string, extra: ConfigInput = {}): ConfigInput {
  const base: ConfigInput = {
    networks: ["eip155:84532"],
    rpc: { "eip155:84532": rig.rpcUrl },
    hosts: { allowPrivate: true },
    budget: { perCall: "1", perSession: "100000", perDay: "100000" },
    ledger,
  };
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const prior = merged[key];
    merged[key] =
      value && typeof value === "object" && !Array.isArray(value) && prior && typeof prior === "object" && !Array.isArray(prior)
        ? { ...prior, ...value }
        : value;
  }
  return merged as ConfigInput;
}

export function writeConfigFile(dir: string, config: ConfigInput): string {
  const path = join(dir, "config.json");
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/**
 * Extra node flags for the server when BENCH_CPU_PROF=<dir> is set and the caller asks for
 * a profile: the .cpuprofile is written there when the server exits (stdin closed).
 */
export function cpuProfileArgs(wanted: boolean): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  if (!wanted || !dir) return [];
  mkdirSync(dir, { recursive: true });
  return ["--cpu-prof", `--cpu-prof-dir=${resolve(dir)}`];
}

export interface BenchSession {
  client: Client;
  pid: number;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  stderr(): string;
  close(): Promise<void>;
}

/** Spawns the built server as an MCP client would (the SDK's own Client over stdio). */
export async function startServer(options: {
  config: ConfigInput;
  privateKey: string;
  /** Node flags placed before the entry point (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Another build's dist/index.js (BEFORE_ENTRY); the current build by default. */
  entry?: string;
  /** More variables for the server (the Solana key). */
  env?: Record<string, string>;
}): Promise<BenchSession> {
  const dir = tempDir("srv");
  const configPath = writeConfigFile(dir, options.config);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...(options.nodeArgs ?? []), options.entry ?? SERVER_ENTRY, "--config", configPath],
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dir, X402_PRIVATE_KEY: options.privateKey, ...options.env },
    cwd: dir,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-20_000);
  });
  const client = new Client({ name: "x402-bench", version: "1.0.0" }, { capabilities: {} });
  try {
    await client.connect(transport);
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new Error(`bench: the server did not start: ${(error as Error).message}\n${stderr.trim()}`);
  }
  const pid = transport.pid;
  if (pid === null) throw new Error("bench: no server pid");
  return {
    client,
    pid,
    call: async (name, args = {}) =>
      (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult,
    stderr: () => stderr,
    close: () => client.close(),
  };
}

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}

/** The receipt of a paid_fetch result, or an error naming what came back instead. */
export function paidReceipt(result: CallToolResult): { status: string; amountAtomic: string; transaction: string | null } {
  const out = result.structuredContent as { cached?: boolean; payment?: { status: string; amountAtomic: string; transaction: string | null } | null } | undefined;
  if (result.isError || !out?.payment || out.cached) {
    throw new Error(`bench: expected a fresh payment, got: ${textOf(result).slice(0, 300)}`);
  }
  return out.payment;
}

export { officialFetch, officialPaidGet } from "./officialClient.js";

export interface OfficialClientProcess {
  pid: number;
  /** One paid GET; resolves to its duration in ms, measured inside the client's process. */
  paidGet(url: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * The official client in its own process. Its in-process use shares an event loop with the
 * rig's x402 server, so each request is answered without a process switch, which no agent
 * gets: an agent, like our MCP server, is a process of its own. `permit2` wires it for the
 * rig's Permit2 routes (see officialFetch).
 */
export async function startOfficialClientProcess(wallet: RigWallet, permit2?: OfficialExtraAsset): Promise<OfficialClientProcess> {
  const env: Record<string, string> = { BENCH_OFFICIAL_KEY: wallet.privateKey };
  if (permit2) env.BENCH_OFFICIAL_PERMIT2 = JSON.stringify(permit2);
  return startClientWorker("officialClientWorker.ts", env);
}

/** A worker of bench/ that answers one JSON line `{ms}` or `{error}` per URL line, in a process of its own. */
export async function startClientWorker(worker: string, workerEnv: Record<string, string>): Promise<OfficialClientProcess> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", ...workerEnv };
  const child = spawn(process.execPath, ["--import", "tsx", resolve(import.meta.dirname, worker)], {
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-5_000);
  });
  const waiting: { resolve: (ms: number) => void; reject: (error: Error) => void }[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    const answer = JSON.parse(line) as { ms?: number; error?: string };
    const next = waiting.shift();
    if (answer.ms !== undefined) next?.resolve(answer.ms);
    else next?.reject(new Error(answer.error ?? "bench: the official client process answered nothing"));
  });
  child.on("exit", (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`bench: the official client process exited (${code}): ${stderr.trim()}`));
  });
  if (child.pid === undefined) throw new Error("bench: the official client process did not start");
  return {
    pid: child.pid,
    paidGet: (url) =>
      new Promise<number>((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(`${url}\n`);
      }),
    close: async () => {
      child.stdin.end();
      if (child.exitCode === null) await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

/** Resident set size of a process, MB, from /proc (Linux). */
export function rssMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

/** Checks that the rig still charges `/paid` when a query string is added (the pay-once cache needs distinct URLs). */
export async function assertQueryStillCharged(rig: Rig): Promise<void> {
  const res = await fetch(`${rig.v2.url}/paid?i=probe`);
  await res.arrayBuffer();
  if (res.status !== 402) throw new Error(`bench: ${rig.v2.url}/paid?i=probe answered ${res.status}, not 402`);
}

/**
 * The server spoken to in raw JSON-RPC over its pipes, for timing start-up without the
 * SDK client in the way. `t0` is taken just before spawn.
 */
export interface RawServer {
  t0: number;
  child: ChildProcessWithoutNullStreams;
  send(message: unknown): void;
  /** Resolves with the response to `id` and the time it arrived (performance.now()). */
  response(id: number, timeoutMs?: number): Promise<{ at: number; message: Record<string, unknown> }>;
  /** Closes stdin and waits for the exit (killed after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
  stderr(): string;
}

export function spawnRaw(args: string[], env: Record<string, string>, cwd: string): RawServer {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env, cwd, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-20_000);
  });
  const waiting = new Map<number, (value: { at: number; message: Record<string, unknown> }) => void>();
  const arrived = new Map<number, { at: number; message: Record<string, unknown> }>();
  let buffer = "";
  child.stdout.on("data", (chunk: Buffer) => {
    const at = performance.now();
    buffer += chunk.toString("utf8");
    let newline: number;
    while ((newline = buffer.indexOf("\n")) !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (!line.trim()) continue;
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // not JSON-RPC (e.g. the output of --version)
      }
      if (typeof message.id !== "number") continue;
      const entry = { at, message };
      const resolveIt = waiting.get(message.id);
      if (resolveIt) resolveIt(entry);
      else arrived.set(message.id, entry);
    }
  });
  const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
  child.stdin.on("error", () => undefined);
  return {
    t0,
    child,
    send: (message) => child.stdin.write(`${JSON.stringify(message)}\n`),
    response(id, timeoutMs = 60_000) {
      const ready = arrived.get(id);
      if (ready) return Promise.resolve(ready);
      return new Promise((resolveIt, reject) => {
        const timer = setTimeout(() => reject(new Error(`bench: no answer to request ${id} within ${timeoutMs} ms\n${stderr.trim()}`)), timeoutMs);
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`bench: the server exited before answering request ${id}\n${stderr.trim()}`));
        });
        waiting.set(id, (value) => {
          clearTimeout(timer);
          resolveIt(value);
        });
      });
    },
    async stop(timeoutMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
    stderr: () => stderr,
  };
}

export const INITIALIZE = (id: number) => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x402-bench-raw", version: "1.0.0" } },
});
export const INITIALIZED = { jsonrpc: "2.0", method: "notifications/initialized" };
