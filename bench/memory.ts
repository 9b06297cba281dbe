import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Rig } from "../test/rig/index.js";
import { BEFORE_ENTRY, PAID_PRICE_ATOMIC, beforeLabel, benchConfig, envInt, paidReceipt, rssMb, startServer, tempDir, type BenchSession } from "./harness.js";
import { mean, type Row, type ScenarioResult } from "./stats.js";

const NAME = "memory";
const SAMPLE_EVERY = 100;
const TARGET_MB = 120;
const MAX_SECONDS = 900;
/** Old-space limit of the third server: if it serves every call, the live heap fits in it. */
const CAPPED_HEAP_MB = 64;
/** The node flags the MCP Bundle starts the server with (manifest.json: every arg before the entry point). */
const BUNDLE_FLAGS: string[] = JSON.parse(readFileSync(new URL("../manifest.json", import.meta.url), "utf8")).server.mcp_config.args.slice(0, -1);

/**
 * RSS of the server over 1 000 paid calls (distinct URLs, so each one pays; no on-chain
 * check, for speed), sampled every 100 calls. The first sample, after one call, is the
 * baseline of the same process. A second server, alternated call by call, runs with the
 * flags of the MCP Bundle (a young generation of at most 2 MB per semi-space instead of
 * 16: most of the default's RSS above the live set is young-generation space). A third runs
 * with --max-old-space-size=64: V8 grows its heap lazily while memory is plentiful, so RSS
 * alone cannot tell garbage from a leak; a server that serves all the calls under a 64 MB
 * old space (and stays flat) shows the live set does not grow with the call count.
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
  const servers = [
    { label: "default", session: await start([]), series: [] as { calls: number; rss: number }[], hwm: 0 },
    { label: `as the .mcpb runs it (${BUNDLE_FLAGS.join(" ")})`, session: await start(BUNDLE_FLAGS), series: [] as { calls: number; rss: number }[], hwm: 0 },
    { label: `--max-old-space-size=${CAPPED_HEAP_MB}`, session: await start([`--max-old-space-size=${CAPPED_HEAP_MB}`]), series: [] as { calls: number; rss: number }[], hwm: 0 },
    // An earlier revision's build, default flags, alternated with the others (BENCH_BEFORE_ENTRY).
    ...(BEFORE_ENTRY ? [{ label: beforeLabel(), session: await start([], BEFORE_ENTRY), series: [] as { calls: number; rss: number }[], hwm: 0 }] : []),
  ];
  const sample = (s: (typeof servers)[number], done: number) => {
    const m = rssMb(s.session.pid);
    s.hwm = Math.max(s.hwm, m.hwm);
    s.series.push({ calls: done, rss: m.rss });
  };
  const call = async (session: BenchSession, tag: string) => paidReceipt(await session.call("paid_fetch", { url: `${rig.v2.url}/paid?m=${tag}` }));
  let done = 0;
  const started = Date.now();
  try {
    for (const [i, s] of servers.entries()) {
      await call(s.session, `warm${i}`);
      sample(s, 0);
    }
    const deadline = started + MAX_SECONDS * 1000;
    while (done < calls && Date.now() < deadline) {
      for (const [i, s] of servers.entries()) await call(s.session, `${i}-${done}`);
      done++;
      if (done % SAMPLE_EVERY === 0) for (const s of servers) sample(s, done);
    }
  } finally {
    await Promise.all(servers.map((s) => s.session.close()));
  }
  const seconds = (Date.now() - started) / 1000;

  const rows: Row[] = [];
  const notes: string[] = [];
  for (const s of servers) {
    const window = (from: number, to: number) => s.series.filter((p) => p.calls > from && p.calls <= to).map((p) => p.rss);
    const last = window(done - 300, done);
    const middle = window(300, 600);
    const growth = last.length > 0 && middle.length > 0 ? (mean(last) - mean(middle)) / mean(middle) : null;
    const plateau = growth === null ? "not enough samples" : Math.abs(growth) <= 0.05 ? "plateaus" : growth > 0 ? "still growing" : "shrinks";
    const first = s.series[0]!.rss;
    const peak = Math.max(...s.series.map((p) => p.rss));
    const growthNote = growth === null ? "" : ` (mean RSS of the last 300 calls vs calls 300–600: ${(growth * 100).toFixed(1)}%)`;
    rows.push(
      { scenario: NAME, variant: `${s.label}: RSS after 1 call`, n: 1, median: first, p95: null, unit: "MB", ratio: null, note: "baseline" },
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
        note: `VmHWM ${s.hwm.toFixed(1)} MB; ${plateau}${growthNote}`,
      },
    );
    notes.push(`Memory, ${s.label}: RSS (MB) by paid calls done: ${s.series.map((p) => `${p.calls}: ${p.rss.toFixed(1)}`).join(", ")}. Peak VmHWM ${s.hwm.toFixed(1)} MB. Verdict: ${plateau}.`);
  }
  notes.push(`Memory: ${done} calls per server in ${seconds.toFixed(0)} s, alternated between the servers, one caller, verifySettlement off; the pay-once cache keeps up to 256 responses.`);
  return { rows, notes };
}
