import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Rig } from "../test/rig/index.js";
import {
  BEFORE_ENTRY,
  BIN_ENTRY,
  INITIALIZE,
  INITIALIZED,
  MINIMAL_SDK_SERVER,
  PAID_PRICE_ATOMIC,
  SERVER_ENTRY,
  beforeLabel,
  benchConfig,
  envInt,
  paidReceipt,
  rssMb,
  spawnRaw,
  startServer,
  tempDir,
  type BenchSession,
} from "./harness.js";
import { mean, type Row, type ScenarioResult } from "./stats.js";

const NAME = "memory";
const SAMPLE_EVERY = 100;
const TARGET_MB = 120;
/** Issue 20: RSS of the bin after 100 paid calls, default node flags. */
const TARGET_100_MB = 100;
const MAX_SECONDS = 900;
/** How much the live heap may move between calls 300–600 and the last 300 and still be flat. */
const PLATEAU_TOLERANCE = 0.05;
/** Preload of the third server: a full GC and the live heap on SIGUSR2. */
const LIVE_HEAP_PRELOAD = fileURLToPath(new URL("./liveHeap.cjs", import.meta.url));
/** The node flags the MCP Bundle starts the server with (manifest.json: every arg before the entry point). */
const BUNDLE_FLAGS: string[] = JSON.parse(readFileSync(new URL("../manifest.json", import.meta.url), "utf8")).server.mcp_config.args.slice(0, -1);

/**
 * RSS of the server over 1 000 paid calls (distinct URLs, so each one pays; no on-chain
 * check, for speed), sampled every 100 calls: the package's bin (the bundle) with node's
 * default flags, against the tsc build in dist/ (the bin before issue 20) alternated with it,
 * and a minimal `@modelcontextprotocol/sdk` server at rest, what node and the SDK hold before
 * any code of ours. The first sample, after one call, is the baseline of the same process. A
 * further server, alternated call by call, runs with the flags of the MCP Bundle (a young generation of at most 2 MB per semi-space instead of
 * 16: most of the default's RSS above the live set is young-generation space). V8 grows its
 * heap lazily while memory is plentiful, so RSS alone cannot tell garbage from a leak: a
 * third server, at each sample, runs a full garbage collection and reports its live heap
 * (bench/liveHeap.cjs, under --expose-gc). "Plateaus" is about that live heap; its RSS is
 * not a target (the forced collections keep it lower than a normal server's).
 */
export async function memory(rig: Rig): Promise<ScenarioResult> {
  const calls = envInt("BENCH_MEMORY_CALLS", 1000);
  const start = async (nodeArgs: string[], entry?: string) => {
    const wallet = await rig.newWallet(PAID_PRICE_ATOMIC * BigInt(calls + 10));
    return startServer({
      config: benchConfig(rig, join(tempDir("s4"), "ledger.jsonl"), { verifySettlement: false }),
      privateKey: wallet.privateKey,
      nodeArgs,
      ...(entry ? { entry } : {}),
    });
  };
  const server = async (label: string, nodeArgs: string[], live = false, entry?: string) => ({
    label,
    live,
    session: await start(nodeArgs, entry),
    series: [] as { calls: number; rss: number }[],
    liveSeries: [] as { calls: number; mb: number }[],
    hwm: 0,
  });
  const servers = [
    await server("bin, default flags", [], false, BIN_ENTRY),
    await server("dist/index.js, default flags", [], false, SERVER_ENTRY),
    await server(`as the .mcpb runs it (${BUNDLE_FLAGS.join(" ")})`, BUNDLE_FLAGS, false, BIN_ENTRY),
    await server("live heap after a full GC", ["--expose-gc", "--require", LIVE_HEAP_PRELOAD], true, BIN_ENTRY),
    // An earlier revision's build, default flags, alternated with the others (BENCH_BEFORE_ENTRY).
    ...(BEFORE_ENTRY ? [await server(beforeLabel(), [], false, BEFORE_ENTRY)] : []),
  ];
  const sample = async (s: (typeof servers)[number], done: number) => {
    const m = rssMb(s.session.pid);
    s.hwm = Math.max(s.hwm, m.hwm);
    s.series.push({ calls: done, rss: m.rss });
    if (s.live) s.liveSeries.push({ calls: done, mb: await liveHeapMb(s.session, s.liveSeries.length + 1) });
  };
  const call = async (session: BenchSession, tag: string) => paidReceipt(await session.call("paid_fetch", { url: `${rig.v2.url}/paid?m=${tag}` }));
  let done = 0;
  const started = Date.now();
  try {
    for (const [i, s] of servers.entries()) {
      await call(s.session, `warm${i}`);
      await sample(s, 0);
    }
    const deadline = started + MAX_SECONDS * 1000;
    while (done < calls && Date.now() < deadline) {
      for (const [i, s] of servers.entries()) await call(s.session, `${i}-${done}`);
      done++;
      if (done % SAMPLE_EVERY === 0) for (const s of servers) await sample(s, done);
    }
  } finally {
    await Promise.all(servers.map((s) => s.session.close()));
  }
  const seconds = (Date.now() - started) / 1000;

  /** Mean of the last 300 calls' samples against calls 300–600: null without enough samples. */
  const growthOf = (points: { calls: number; value: number }[]) => {
    const window = (from: number, to: number) => points.filter((p) => p.calls > from && p.calls <= to).map((p) => p.value);
    const last = window(done - 300, done);
    const middle = window(300, 600);
    return last.length > 0 && middle.length > 0 ? (mean(last) - mean(middle)) / mean(middle) : null;
  };
  const verdict = (growth: number | null) =>
    growth === null ? "not enough samples" : Math.abs(growth) <= PLATEAU_TOLERANCE ? "plateaus" : growth > 0 ? "still growing" : "shrinks";
  const growthNote = (growth: number | null) => (growth === null ? "" : ` (mean of the last 300 calls vs calls 300–600: ${(growth * 100).toFixed(1)}%)`);

  const minimalRss = await minimalSdkServerRssMb();
  const rows: Row[] = [
    { scenario: NAME, variant: "minimal SDK server at rest after tools/list: RSS", n: 1, median: minimalRss, p95: null, unit: "MB", ratio: null, note: "reference: node and the SDK alone" },
  ];
  const notes: string[] = [];
  const binAt100 = servers[0]!.series.find((p) => p.calls === 100)?.rss;
  for (const s of servers) {
    const rssGrowth = growthOf(s.series.map((p) => ({ calls: p.calls, value: p.rss })));
    const rssSeries = `RSS (MB) by paid calls done: ${s.series.map((p) => `${p.calls}: ${p.rss.toFixed(1)}`).join(", ")}. Peak VmHWM ${s.hwm.toFixed(1)} MB`;
    if (s.live) {
      const growth = growthOf(s.liveSeries.map((p) => ({ calls: p.calls, value: p.mb })));
      const first = s.liveSeries[0]!.mb;
      const lastSample = s.liveSeries[s.liveSeries.length - 1]!.mb;
      rows.push(
        { scenario: NAME, variant: `${s.label}: after 1 call`, n: 1, median: first, p95: null, unit: "MB", ratio: null, note: "baseline" },
        {
          scenario: NAME,
          variant: `${s.label}: after ${done} paid calls`,
          n: s.liveSeries.length,
          median: lastSample,
          p95: null,
          unit: "MB",
          ratio: lastSample / first,
          baseline: `${s.label}: after 1 call`,
          target: `plateau (±${PLATEAU_TOLERANCE * 100}%)`,
          pass: verdict(growth) === "plateaus",
          note: `${verdict(growth)}${growthNote(growth)}`,
        },
      );
      notes.push(
        `Memory, ${s.label}: live heap (MB) by paid calls done: ${s.liveSeries.map((p) => `${p.calls}: ${p.mb.toFixed(1)}`).join(", ")}. Verdict: ${verdict(growth)}. Its ${rssSeries}.`,
      );
      continue;
    }
    const first = s.series[0]!.rss;
    const peak = Math.max(...s.series.map((p) => p.rss));
    const at100 = s.series.find((p) => p.calls === 100)?.rss;
    rows.push(
      { scenario: NAME, variant: `${s.label}: RSS after 1 call`, n: 1, median: first, p95: null, unit: "MB", ratio: null, note: "baseline" },
      ...(at100 === undefined || s.label.startsWith("as the .mcpb")
        ? []
        : [
            {
              scenario: NAME,
              variant: `${s.label}: RSS after 100 paid calls`,
              n: 1,
              median: at100,
              p95: null,
              unit: "MB",
              ratio: s === servers[0] ? at100 / minimalRss : binAt100 === undefined ? null : at100 / binAt100,
              baseline: s === servers[0] ? "minimal SDK server at rest after tools/list: RSS" : "bin, default flags: RSS after 100 paid calls",
              ...(s === servers[0] ? { target: `≤ ${TARGET_100_MB} MB`, pass: at100 <= TARGET_100_MB } : {}),
            } satisfies Row,
          ]),
      {
        scenario: NAME,
        variant: `${s.label}: RSS, max of samples over ${done} paid calls`,
        n: s.series.length,
        median: peak,
        p95: null,
        unit: "MB",
        ratio: peak / first,
        baseline: `${s.label}: RSS after 1 call`,
        target: `≤ ${TARGET_MB} MB`,
        pass: peak <= TARGET_MB,
        note: `VmHWM ${s.hwm.toFixed(1)} MB; RSS ${verdict(rssGrowth)}${growthNote(rssGrowth)}`,
      },
    );
    notes.push(`Memory, ${s.label}: ${rssSeries}. RSS verdict: ${verdict(rssGrowth)}.`);
  }
  notes.push(`Memory: ${done} calls per server in ${seconds.toFixed(0)} s, alternated between the servers, one caller, verifySettlement off; the pay-once cache keeps up to 256 responses.`);
  return { rows, notes };
}

/** RSS of a minimal SDK stdio server (bench/minimalSdkServer.mjs) once it has answered tools/list. */
async function minimalSdkServerRssMb(): Promise<number> {
  const server = spawnRaw([MINIMAL_SDK_SERVER], { PATH: process.env.PATH ?? "" }, tempDir("s4"));
  try {
    server.send(INITIALIZE(1));
    await server.response(1);
    server.send(INITIALIZED);
    server.send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    await server.response(2);
    return rssMb(server.child.pid!).rss;
  } finally {
    await server.stop();
  }
}

/** Asks the live-heap server (bench/liveHeap.cjs) for a full GC and reads what is left alive. */
async function liveHeapMb(session: BenchSession, report: number): Promise<number> {
  process.kill(session.pid, "SIGUSR2");
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = new RegExp(`^bench-live-heap ${report} (\\d+)$`, "m").exec(session.stderr());
    if (answer) return Number(answer[1]) / 1024 / 1024;
    if (Date.now() > deadline) throw new Error(`bench: the live-heap server did not answer report ${report} after SIGUSR2`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
