import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ConfigInput } from "../src/config/schema.js";
import { sha256Hex } from "../src/server/agentAuth.js";
import { connectHttp, startHttpServer } from "../test/e2e/httpProcess.js";
import { startRedis } from "../test/rig/redis.js";
import type { Rig, RigWallet } from "../test/rig/index.js";
import { benchConfig, envInt, paidReceipt, startServer, tempDir, writeConfigFile } from "./harness.js";
import { latencyRow, nowMs, rotation, type ScenarioResult } from "./stats.js";

const NAME = "httpVsStdio";
const WARMUP = 3;

/**
 * One paid_fetch, one at a time, through the same server build: over stdio (an MCP client
 * spawning the server, the default) and over Streamable HTTP (`serve --http` on loopback,
 * an agent with a bearer token, one MCP session), both on the file ledger, so only the
 * transport differs; and a third variant, HTTP on the Redis store (real redis-server, AOF
 * always), the fleet's whole path. Same config otherwise (verifySettlement off,
 * payOnceSeconds 0), one wallet each, alternating calls (rotating order), BENCH_N (default
 * 60, at least 30) calls each after a warm-up; stdio is the baseline.
 */
export async function httpVsStdio(rig: Rig): Promise<ScenarioResult> {
  const n = Math.max(30, envInt("BENCH_N", 60));
  const token = randomBytes(24).toString("base64url");
  const extra: ConfigInput = {
    verifySettlement: false,
    content: { payOnceSeconds: 0 },
    agents: [{ name: "bench", tokenSha256: sha256Hex(token) }],
  };
  const [wHttp, wStdio, wRedis] = await Promise.all([rig.newWallet(100_000_000n), rig.newWallet(100_000_000n), rig.newWallet(100_000_000n)]);
  const redis = await startRedis();
  const cleanups: (() => Promise<unknown>)[] = [() => redis.stop()];
  const http = async (wallet: RigWallet, store: ConfigInput["store"]) => {
    const dir = tempDir("http");
    const server = await startHttpServer({
      configPath: writeConfigFile(dir, benchConfig(rig, join(dir, "ledger.jsonl"), { ...extra, ...(store ? { store } : {}) })),
      env: { X402_PRIVATE_KEY: wallet.privateKey, HOME: dir },
    });
    cleanups.unshift(() => server.stop());
    const client = await connectHttp(server.url, token, { timeoutMs: 60_000 });
    cleanups.unshift(() => client.close());
    return client;
  };
  try {
    const httpFile = await http(wHttp!, undefined);
    const httpRedis = await http(wRedis!, { kind: "redis", url: redis.url, prefix: "benchhttp:" });
    const stdio = await startServer({ config: benchConfig(rig, join(tempDir("stdio"), "ledger.jsonl"), extra), privateKey: wStdio!.privateKey });
    cleanups.unshift(() => stdio.close());
    let counter = 0;
    const variants: { name: string; call: (url: string) => Promise<CallToolResult>; samples: number[] }[] = [
      { name: "stdio, file ledger", call: (url) => stdio.call("paid_fetch", { url }), samples: [] },
      { name: "Streamable HTTP, file ledger", call: (url) => httpFile.call("paid_fetch", { url }), samples: [] },
      { name: "Streamable HTTP, Redis store", call: (url) => httpRedis.call("paid_fetch", { url }), samples: [] },
    ];
    for (let round = 0; round < WARMUP + n; round++) {
      for (const v of rotation(variants, round)) {
        const t = nowMs();
        const result = await v.call(`${rig.v2.url}/paid?transport=${counter++}`);
        const ms = nowMs() - t;
        paidReceipt(result);
        if (round >= WARMUP) v.samples.push(ms);
      }
    }
    const base = variants[0]!;
    return {
      rows: variants.map((v) =>
        v === base
          ? latencyRow(NAME, `${v.name}: paid_fetch`, v.samples, { note: "baseline" })
          : latencyRow(NAME, `${v.name}: paid_fetch`, v.samples, { base: { variant: base.name, samples: base.samples } }),
      ),
      notes: [
        `HTTP vs stdio: ${n} paid_fetch calls each of the rig's v2 /paid (0.01 USDC, distinct URLs), one at a time, alternating transports after ${WARMUP} warm-up calls each; ` +
          "each server its own wallet, verifySettlement off; the HTTP client is the MCP SDK's StreamableHTTPClientTransport with a bearer token on one session; " +
          "the Redis variant's store is a local redis-server with appendfsync always.",
      ],
    };
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}
