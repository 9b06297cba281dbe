import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { resolve } from "node:path";
import { startRig, type Rig } from "../test/rig/index.js";
import { coldStart } from "./coldStart.js";
import { fastPath } from "./fastPath.js";
import { fleetThroughput } from "./fleetThroughput.js";
import { BIN_ENTRY, SERVER_ENTRY, beforeLabel } from "./harness.js";
import { historyScale } from "./historyScale.js";
import { httpVsStdio } from "./httpVsStdio.js";
import { ledgerScale } from "./ledgerScale.js";
import { memory } from "./memory.js";
import { paidCallOverhead } from "./paidCallOverhead.js";
import { permit2Overhead } from "./permit2Overhead.js";
import { redisReservations } from "./redisReservations.js";
import { replicaLatency } from "./replicaLatency.js";
import { solanaOverhead } from "./solanaOverhead.js";
import { FLEET, SECTIONS, extractSection, sectionOf, sectionText, withSection, type Section } from "./sections.js";
import { formatTable, type Row, type ScenarioResult } from "./stats.js";
import { throughput } from "./throughput.js";

/**
 * Runs the scenarios (all, or those named on argv) against one local rig, prints the table
 * and writes bench/RESULTS.md. Sizes: BENCH_N (paid calls per variant, default 60),
 * BENCH_SECONDS (throughput duration, default 30), BENCH_MEMORY_CALLS (default 1000),
 * BENCH_CPU_PROF=<dir> (profile the verifying server of paidCallOverhead and of
 * permit2Overhead). RESULTS.md is written by a run of every scenario (or with
 * BENCH_WRITE_RESULTS=1). The fleet scenarios of issue 9
 * (`npm run bench -- fleet` runs the three) have their own section of RESULTS.md, written by
 * a run of all three and kept as it is by a run of the others; their sizes: BENCH_N
 * (httpVsStdio, at least 30), BENCH_REDIS_SECONDS (15) and BENCH_REDIS_INFLIGHT (4 per
 * process) for redisReservations, BENCH_SECONDS (fleetThroughput: 20 by default) and
 * BENCH_FLEET_AGENTS (16). permit2Overhead (issue 16, `npm run bench -- permit2Overhead`)
 * has a section of its own too, written by a run of it; its size is BENCH_N. So has
 * solanaOverhead (issue 17, `npm run bench -- solanaOverhead`, its own Solana rig): BENCH_N
 * paid calls per variant, BENCH_COLD_N cold starts per variant. coldStart and memory (issue 20,
 * `npm run bench -- coldStart memory`) form the start-up and memory section; their sizes are
 * BENCH_COLD_N and BENCH_MEMORY_CALLS.
 */
const SCENARIOS: Record<string, (rig: Rig) => Promise<ScenarioResult>> = {
  paidCallOverhead,
  fastPath,
  coldStart: () => coldStart(),
  memory,
  ledgerScale: () => ledgerScale(),
  historyScale: () => historyScale(),
  throughput,
  httpVsStdio,
  redisReservations: () => redisReservations(),
  fleetThroughput,
  permit2Overhead,
  solanaOverhead,
  replicaLatency: () => replicaLatency(),
};
/** Names that stand for several scenarios on the command line. */
const GROUPS: Record<string, readonly string[]> = { fleet: FLEET.scenarios };
/** Scenarios that need the rig's Permit2 contracts and routes. */
const NEEDS_PERMIT2: readonly string[] = ["permit2Overhead"];

async function main(args: string[]): Promise<number> {
  const argv = args.flatMap((name) => GROUPS[name] ?? [name]);
  const unknown = argv.filter((name) => !Object.hasOwn(SCENARIOS, name));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown scenario(s) ${unknown.join(", ")}; known: ${[...Object.keys(SCENARIOS), ...Object.keys(GROUPS)].join(", ")}\n`);
    return 2;
  }
  for (const entry of [SERVER_ENTRY, BIN_ENTRY]) {
    if (existsSync(entry)) continue;
    process.stderr.write(`bench: ${entry} is missing; run npm run build first (npm run bench does)\n`);
    return 2;
  }
  const names = argv.length > 0 ? argv : Object.keys(SCENARIOS);
  const started = new Date();
  const load = loadavg(); // the machine is shared: how busy it was is part of the result
  const revision = gitHead(); // at the start: the build measured is the tree as it was then
  // Permit2 costs the rig a compile on its first start (cached after): only when a scenario pays through it.
  const rig = await startRig({ permit2: names.some((name) => NEEDS_PERMIT2.includes(name)) });
  // The main table, and one bucket per section of RESULTS.md of its own.
  const buckets = new Map<Section | undefined, { rows: Row[]; notes: string[]; failures: string[] }>();
  const bucket = (name: string) => {
    const key = sectionOf(name);
    if (!buckets.has(key)) buckets.set(key, { rows: [], notes: [], failures: [] });
    return buckets.get(key)!;
  };
  try {
    for (const name of names) {
      const t = Date.now();
      process.stderr.write(`bench: ${name}…\n`);
      try {
        const result = await SCENARIOS[name]!(rig);
        bucket(name).rows.push(...result.rows);
        bucket(name).notes.push(...result.notes);
        process.stderr.write(`${formatTable(result.rows)}\n`);
      } catch (error) {
        const message = `${name} failed: ${(error as Error).stack ?? String(error)}`;
        bucket(name).failures.push(message);
        process.stderr.write(`bench: ${message}\n`);
      }
      process.stderr.write(`bench: ${name} took ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
    }
  } finally {
    await rig.stop();
  }

  const all = [...buckets.values()];
  process.stdout.write(`${formatTable(all.flatMap((b) => b.rows))}\n`);
  // A partial run prints its table but keeps the full run's RESULTS.md, unless asked; a
  // section of its own is rewritten by a run of all its scenarios.
  const asked = process.env.BENCH_WRITE_RESULTS === "1";
  const mainNames = names.filter((name) => !sectionOf(name));
  const writeMain = mainNames.length > 0 && (argv.length === 0 || asked);
  const path = resolve(import.meta.dirname, "RESULTS.md");
  const previous = existsSync(path) ? readFileSync(path, "utf8") : "";
  const context = { started, load, revision, argv: args };
  const main = buckets.get(undefined) ?? { rows: [], notes: [], failures: [] };
  let text = writeMain ? resultsText({ ...context, names: mainNames, table: formatTable(main.rows), ...main }) : previous;
  let changed = writeMain;
  for (const section of SECTIONS) {
    const ran = names.filter((name) => section.scenarios.includes(name));
    const write = ran.length > 0 && (section.scenarios.every((name) => ran.includes(name)) || asked);
    if (ran.length > 0 && !write) process.stderr.write(`bench: not every scenario of "${section.heading}" ran; that section of bench/RESULTS.md left as it was (BENCH_WRITE_RESULTS=1 to overwrite)\n`);
    const body = write ? sectionText(section, { machine: machineLines({ ...context, names: ran }), ...buckets.get(section)! }) : extractSection(previous, section.heading);
    text = withSection(text, section.heading, body);
    changed ||= write;
  }
  if (changed) writeFileSync(path, text);
  if (!writeMain && mainNames.length > 0) process.stderr.write("bench: partial run; bench/RESULTS.md left as it was (BENCH_WRITE_RESULTS=1 to overwrite)\n");
  return all.reduce((sum, b) => sum + b.failures.length, 0) > 0 ? 1 : 0;
}

/** How a run was made: date, machine, revision, the command that repeats it, its scenarios. */
function machineLines(r: { started: Date; load: number[]; revision: string; names: string[]; argv: string[] }): string[] {
  const env = Object.keys(process.env)
    .filter((k) => k.startsWith("BENCH_") && k !== "BENCH_WRITE_RESULTS" && process.env[k])
    .sort()
    .map((k) => (k === "BENCH_BEFORE_ENTRY" ? `${k}=$(sh bench/buildBaseline.sh ${beforeLabel().replace(/^before \((.*)\)$/, "$1")}) ` : `${k}=${process.env[k]} `))
    .join("");
  const command = `${env}npm run bench${r.argv.length > 0 ? ` -- ${r.argv.join(" ")}` : ""}`;
  const cpu = cpus();
  return [
    `- date: ${r.started.toISOString()}`,
    `- machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${process.platform} ${process.arch}; load average ${r.load.map((l) => l.toFixed(2)).join(", ")} (1, 5, 15 min) at the start`,
    `- Node ${process.version}; commit ${r.revision}`,
    `- reproduce: \`${command}\``,
    `- scenarios: ${r.names.join(", ")}`,
  ];
}

function resultsText(r: { started: Date; load: number[]; revision: string; names: string[]; argv: string[]; table: string; notes: string[]; failures: string[] }): string {
  const machine = machineLines(r);
  return [
    "# Benchmarks",
    "",
    "Everything runs on loopback against the local rig (anvil + test USDC + the official x402 v2 server with its in-process facilitator). " +
      "Variants are alternated in one process run (rotating order), numbers are medians and nearest-rank p95, and every ratio is against a baseline measured in the same run. " +
      "The machine is small and noisy: read ratios, not absolute times.",
    "",
    ...machine,
    "",
    r.table,
    "",
    "## Notes",
    "",
    ...r.notes.map((n) => `- ${n}`),
    ...(r.failures.length > 0 ? ["", "## Failures", "", ...r.failures.map((f) => "```\n" + f + "\n```")] : []),
    "",
  ].join("\n");
}

/** The revision the run measured: HEAD at its start, and the src/ files that differed from it. */
function gitHead(): string {
  const root = resolve(import.meta.dirname, "..");
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: root, encoding: "utf8" })
      .split("\n")
      .map((line) => line.slice(3).trim())
      .filter(Boolean);
    return dirty.length > 0 ? `${head} with uncommitted changes to ${dirty.join(", ")}` : head;
  } catch {
    return "unknown";
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
