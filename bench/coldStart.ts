import { join } from "node:path";
import { generatePrivateKey } from "viem/accounts";
import { BEFORE_ENTRY, INITIALIZE, INITIALIZED, SERVER_ENTRY, beforeLabel, envInt, spawnRaw, tempDir, writeConfigFile } from "./harness.js";
import { latencyRow, nowMs, rotation, type ScenarioResult } from "./stats.js";

const NAME = "cold start";
const MAX_SECONDS = 300;

/**
 * Spawn of `node dist/index.js` (a key, a fresh temp ledger) to the answer to `initialize`,
 * and on to the answer to `tools/list`, in raw JSON-RPC. Baselines in the same run:
 * `node -e 0` spawn-to-exit, and `node dist/index.js --version` (the bin without the server).
 */
export async function coldStart(): Promise<ScenarioResult> {
  const n = envInt("BENCH_COLD_N", 20);
  const key = generatePrivateKey();
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", X402_PRIVATE_KEY: key };
  const samples = { nodeExit: [] as number[], versionExit: [] as number[], init: [] as number[], list: [] as number[] };
  const beforeSamples = { init: [] as number[], list: [] as number[] };

  /** One server start: spawn → initialize answered → tools/list answered. */
  const serverStart = async (entry: string, into: { init: number[]; list: number[] }) => {
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

  const variants = [
    {
      name: "node -e 0",
      run: async () => {
        const child = spawnRaw(["-e", "0"], env, tempDir("s3"));
        await new Promise<void>((r) => child.child.once("exit", () => r()));
        samples.nodeExit.push(nowMs() - child.t0);
      },
    },
    {
      name: "--version",
      run: async () => {
        const child = spawnRaw([SERVER_ENTRY, "--version"], env, tempDir("s3"));
        await new Promise<void>((r) => child.child.once("exit", () => r()));
        samples.versionExit.push(nowMs() - child.t0);
      },
    },
    { name: "server", run: () => serverStart(SERVER_ENTRY, samples) },
    ...(BEFORE_ENTRY ? [{ name: "before", run: () => serverStart(BEFORE_ENTRY!, beforeSamples) }] : []),
  ];

  for (const v of variants) await v.run(); // warm the page cache
  const deadline = Date.now() + MAX_SECONDS * 1000;
  for (let round = 0; round < n && Date.now() < deadline; round++) {
    for (const v of rotation(variants, round)) await v.run();
  }
  const base = { variant: "node -e 0", samples: samples.nodeExit };
  return {
    rows: [
      latencyRow(NAME, "node -e 0 (spawn to exit)", samples.nodeExit, { note: "baseline" }),
      latencyRow(NAME, "dist/index.js --version (to exit)", samples.versionExit, { base, note: "the bin alone" }),
      latencyRow(NAME, "spawn → initialize answered", samples.init, { base, target: { ms: 400 } }),
      latencyRow(NAME, "spawn → tools/list answered", samples.list, { base, target: { ms: 400 } }),
      ...(BEFORE_ENTRY
        ? [
            latencyRow(NAME, `${beforeLabel()}: spawn → initialize answered`, beforeSamples.init, { base }),
            latencyRow(NAME, `${beforeLabel()}: spawn → tools/list answered`, beforeSamples.list, { base }),
          ]
        : []),
    ],
    notes: [],
  };
}
