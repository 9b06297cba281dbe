import { join } from "node:path";
import type { Rig } from "../test/rig/index.js";
import {
  PAID_PRICE_ATOMIC,
  benchConfig,
  envInt,
  officialFetch,
  officialPaidGet,
  paidReceipt,
  startOfficialClientProcess,
  startServer,
  tempDir,
  type BenchSession,
} from "./harness.js";
import { latencyRow, rotation, timed, type ScenarioResult } from "./stats.js";

const NAME = "repeat call, fast path";
/** Added per request by the rig's v2 server: the 20 ms, and a far server for the trend. */
const LATENCIES_MS = (process.env.BENCH_FAST_LATENCIES ?? "20,100").split(",").map((v) => {
  const ms = Number(v.trim());
  if (!Number.isInteger(ms) || ms < 0) throw new Error(`bench: BENCH_FAST_LATENCIES must be whole milliseconds, got "${v}"`);
  return ms;
});
const WARMUP = 3;
const MAX_SECONDS = 600;

/**
 * A repeat call to a URL paid recently at a known price. With `fastPath: true` the server
 * signs up front and pays on the first request (one round trip); the official client always
 * probes first (two). The pay-once cache is off (`payOnceSeconds: 0`) so the same URL pays
 * every time. The rig's v2 server adds 20 ms per request (and 100 ms in a second pass, to
 * show how the ratio falls as the network, not the settlement, dominates). The baseline is
 * the official client in its own process (see paidCallOverhead.ts), with the in-process
 * one beside it.
 */
export async function fastPath(rig: Rig): Promise<ScenarioResult> {
  const n = envInt("BENCH_N", 60);
  const url = `${rig.v2.url}/paid`;
  const funding = PAID_PRICE_ATOMIC * BigInt(2 * LATENCIES_MS.length * (n + WARMUP + 10));
  const [wFast, wNormal, wOfficial, wOfficialOwn] = await Promise.all([
    rig.newWallet(funding),
    rig.newWallet(funding),
    rig.newWallet(funding),
    rig.newWallet(funding),
  ]);
  const config = (fast: boolean) =>
    benchConfig(rig, join(tempDir("s2"), "ledger.jsonl"), { fastPath: fast, content: { payOnceSeconds: 0 } });

  let fast: BenchSession;
  try {
    fast = await startServer({ config: config(true), privateKey: wFast!.privateKey });
  } catch (error) {
    const message = (error as Error).message;
    if (/fastPath|unrecognized|unknown/i.test(message)) {
      process.stderr.write("fast path: not available\n");
      return { rows: [], notes: [`fast path: not available (the server refused the config: ${message.split("\n")[0]})`] };
    }
    throw error;
  }
  const normal = await startServer({ config: config(false), privateKey: wNormal!.privateKey });
  const official = officialFetch(wOfficial!);
  const officialOwn = await startOfficialClientProcess(wOfficialOwn!);
  const notes: string[] = [];

  const rows: ScenarioResult["rows"] = [];
  let calls = 0;
  try {
    for (const latency of LATENCIES_MS) {
      rig.v2.setLatencyMs(latency);
      const variants: { name: string; run: () => Promise<number | void>; samples: number[] }[] = [
        { name: "official @x402/fetch, own process", run: () => officialOwn.paidGet(url), samples: [] as number[] },
        { name: "official @x402/fetch, in the rig's process", run: () => officialPaidGet(official, url), samples: [] as number[] },
        { name: "ours, fastPath on", run: async () => void paidReceipt(await fast.call("paid_fetch", { url })), samples: [] as number[] },
        { name: "ours, fastPath off", run: async () => void paidReceipt(await normal.call("paid_fetch", { url })), samples: [] as number[] },
      ];
      for (let i = 0; i < WARMUP; i++) for (const v of variants) await v.run();
      notes.push(`Fast path, +${latency} ms: ${await fastPathTaken(fast, url)}.`);
      const deadline = Date.now() + MAX_SECONDS * 1000;
      for (let round = 0; round < n && Date.now() < deadline; round++) {
        for (const v of rotation(variants, round)) {
          v.samples.push(await timed(v.run));
        }
      }
      calls += WARMUP + 1 + variants[0]!.samples.length;
      const scenario = `${NAME}, +${latency} ms`;
      const base = { variant: variants[0]!.name, samples: variants[0]!.samples };
      rows.push(
        latencyRow(scenario, variants[0]!.name, variants[0]!.samples, { note: `+${latency} ms per request on the server` }),
        latencyRow(scenario, variants[1]!.name, variants[1]!.samples, { base, note: "reference" }),
        latencyRow(scenario, variants[2]!.name, variants[2]!.samples, { base, target: latency === 20 ? { ratio: 0.6 } : undefined }),
        latencyRow(scenario, variants[3]!.name, variants[3]!.samples, { base, note: "reference: probe first" }),
      );
    }
  } finally {
    rig.v2.setLatencyMs(0);
    await Promise.all([fast.close(), normal.close(), officialOwn.close()]);
  }

  const paid = funding - (await rig.balanceOf(wFast!.address));
  notes.push(
    `Fast path: same URL every call, pay-once cache off. ` +
      `The fast-path wallet paid ${paid} atomic on-chain for ${calls} calls (${PAID_PRICE_ATOMIC} each expected: ${paid === PAID_PRICE_ATOMIC * BigInt(calls) ? "ok" : "MISMATCH"}).`,
  );
  return { rows, notes };
}

/** One call with progress on: the server says when it pays up front instead of probing. */
async function fastPathTaken(session: BenchSession, url: string): Promise<string> {
  const messages: string[] = [];
  const result = await session.client.callTool({ name: "paid_fetch", arguments: { url } }, undefined, {
    onprogress: (p) => void (p.message && messages.push(p.message)),
    timeout: 60_000,
  });
  paidReceipt(result as Parameters<typeof paidReceipt>[0]);
  const upFront = messages.some((m) => /up front/i.test(m));
  return upFront
    ? "confirmed taken (progress said it paid up front)"
    : `NOT taken on a repeat call (progress: ${messages.join(" / ") || "none"})`;
}
