import { join, relative, resolve } from "node:path";
import { generatePrivateKey } from "viem/accounts";
import { BEFORE_ENTRY, BIN_ENTRY, INITIALIZE, INITIALIZED, MINIMAL_SDK_SERVER, SERVER_ENTRY, beforeLabel, envInt, spawnRaw, tempDir, writeConfigFile } from "./harness.js";
import { latencyRow, median, nowMs, rotation, type ScenarioResult } from "./stats.js";

const NAME = "cold start";
const MAX_SECONDS = 300;
/** Issue 20: the bin's spawn → tools/list, against the minimal SDK server's in the same rounds. */
const TARGET_RATIO = 1.3;

/**
 * Spawn (a key, a fresh temp ledger) to the answer to `initialize`, and on to the answer to
 * `tools/list`, in raw JSON-RPC, of: the package's bin (the bundle, what `npx x402-wallet-mcp`
 * runs), the tsc build in dist/ (what the bin was before issue 20, and what the e2e tests
 * start), and the baseline, a minimal `@modelcontextprotocol/sdk` stdio server with one tool
 * (bench/minimalSdkServer.mjs). References in the same rounds: `node -e 0` spawn-to-exit (node's
 * own start, which no server can go below) and the bin's `--version` (the bin without the server).
 */
export async function coldStart(): Promise<ScenarioResult> {
  const n = envInt("BENCH_COLD_N", 20);
  const key = generatePrivateKey();
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", X402_PRIVATE_KEY: key };
  type Starts = { init: number[]; list: number[] };
  const starts = (): Starts => ({ init: [], list: [] });
  const samples = { nodeExit: [] as number[], versionExit: [] as number[], minimal: starts(), bin: starts(), dist: starts(), before: starts() };

  /** One server start: spawn → initialize answered → tools/list answered. */
  const serverStart = async (entry: string, into: Starts) => {
    const dir = tempDir("s3");
    const config = writeConfigFile(dir, { networks: ["eip155:84532"], rpc: { "eip155:84532": "http://127.0.0.1:9" }, ledger: join(dir, "ledger.jsonl") });
    const server = spawnRaw([entry, "--config", config], env, dir);
    try {
      server.send(INITIALIZE(1));
      const init = await server.response(1);
      server.send(INITIALIZED);
      server.send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
      const list = await server.response(2);
      const tools = (list.message.result as { tools?: unknown[] } | undefined)?.tools;
      if (!tools || tools.length === 0) throw new Error(`bench: tools/list came back without tools: ${JSON.stringify(list.message).slice(0, 300)}`);
      into.init.push(init.at - server.t0);
      into.list.push(list.at - server.t0);
    } finally {
      await server.stop();
    }
  };
  const exitTime = async (args: string[], into: number[]) => {
    const child = spawnRaw(args, env, tempDir("s3"));
    await new Promise<void>((r) => child.child.once("exit", () => r()));
    into.push(nowMs() - child.t0);
  };

  const variants = [
    { name: "node -e 0", run: () => exitTime(["-e", "0"], samples.nodeExit) },
    { name: "--version", run: () => exitTime([BIN_ENTRY, "--version"], samples.versionExit) },
    { name: "minimal SDK server", run: () => serverStart(MINIMAL_SDK_SERVER, samples.minimal) },
    { name: "bin", run: () => serverStart(BIN_ENTRY, samples.bin) },
    { name: "dist", run: () => serverStart(SERVER_ENTRY, samples.dist) },
    ...(BEFORE_ENTRY ? [{ name: "before", run: () => serverStart(BEFORE_ENTRY!, samples.before) }] : []),
  ];

  for (const v of variants) await v.run(); // warm the page cache
  const deadline = Date.now() + MAX_SECONDS * 1000;
  for (let round = 0; round < n && Date.now() < deadline; round++) {
    for (const v of rotation(variants, round)) await v.run();
  }
  const node = { variant: "node -e 0", samples: samples.nodeExit };
  const minimalInit = { variant: "minimal SDK server: spawn → initialize answered", samples: samples.minimal.init };
  const minimalList = { variant: "minimal SDK server: spawn → tools/list answered", samples: samples.minimal.list };
  const bin = relative(resolve(import.meta.dirname, ".."), BIN_ENTRY);
  return {
    rows: [
      latencyRow(NAME, "node -e 0 (spawn to exit)", samples.nodeExit, { note: "reference: node's own start" }),
      latencyRow(NAME, `${bin} --version (to exit)`, samples.versionExit, { base: node, note: "the bin alone" }),
      latencyRow(NAME, minimalInit.variant, samples.minimal.init, { base: node, note: "baseline (bench/minimalSdkServer.mjs)" }),
      latencyRow(NAME, minimalList.variant, samples.minimal.list, { base: node, note: "baseline" }),
      latencyRow(NAME, `bin (${bin}): spawn → initialize answered`, samples.bin.init, { base: minimalInit }),
      latencyRow(NAME, `bin (${bin}): spawn → tools/list answered`, samples.bin.list, { base: minimalList, target: { ratio: TARGET_RATIO } }),
      latencyRow(NAME, "dist/index.js (tsc build): spawn → tools/list answered", samples.dist.list, { base: minimalList, note: "the bin before issue 20; the e2e tests start it" }),
      ...(BEFORE_ENTRY ? [latencyRow(NAME, `${beforeLabel()}: spawn → tools/list answered`, samples.before.list, { base: minimalList })] : []),
    ],
    notes: [coldStartNote(samples.nodeExit, samples.minimal.list, samples.bin.list)],
  };
}

/** What bounds the bin's start: node's own start, what the SDK itself costs, and what is left that is ours. */
function coldStartNote(nodeExit: number[], minimal: number[], bin: number[]): string {
  const [n, m, b] = [median(nodeExit), median(minimal), median(bin)];
  return (
    `Cold start, medians: node -e 0 ${n.toFixed(0)} ms; the minimal SDK server ${m.toFixed(0)} ms, of which ${(m - n).toFixed(0)} ms past node's own start; ` +
    `the bin ${b.toFixed(0)} ms, ${(b - m).toFixed(0)} ms more than the minimal server (${((b - m) / (m - n) * 100).toFixed(0)}% on top of what the SDK costs past node's start).`
  );
}
