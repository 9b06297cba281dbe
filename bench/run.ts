import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { resolve } from "node:path";
import { startRig, type Rig } from "../test/rig/index.js";
import { coldStart } from "./coldStart.js";
import { fastPath } from "./fastPath.js";
import { SERVER_ENTRY, beforeLabel } from "./harness.js";
import { ledgerScale } from "./ledgerScale.js";
import { memory } from "./memory.js";
import { paidCallOverhead } from "./paidCallOverhead.js";
import { formatTable, type Row, type ScenarioResult } from "./stats.js";
import { throughput } from "./throughput.js";

/**
 * Runs the scenarios (all, or those named on argv) against one local rig, prints the table
 * and writes bench/RESULTS.md. Sizes: BENCH_N (paid calls per variant, default 60),
 * BENCH_SECONDS (throughput duration, default 30), BENCH_MEMORY_CALLS (default 1000),
 * BENCH_CPU_PROF=<dir> (profile the server of paidCallOverhead). RESULTS.md is written by a
 * run of every scenario (or with BENCH_WRITE_RESULTS=1).
 */
const SCENARIOS: Record<string, (rig: Rig) => Promise<ScenarioResult>> = {
  paidCallOverhead,
  fastPath,
  coldStart: () => coldStart(),
  memory,
  ledgerScale: () => ledgerScale(),
  throughput,
};

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((name) => !Object.hasOwn(SCENARIOS, name));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown scenario(s) ${unknown.join(", ")}; known: ${Object.keys(SCENARIOS).join(", ")}\n`);
    return 2;
  }
  if (!existsSync(SERVER_ENTRY)) {
    process.stderr.write(`bench: ${SERVER_ENTRY} is missing; run npm run build first (npm run bench does)\n`);
    return 2;
  }
  const names = argv.length > 0 ? argv : Object.keys(SCENARIOS);
  const started = new Date();
  const revision = gitHead(); // at the start: the build measured is the tree as it was then
  const rig = await startRig();
  const rows: Row[] = [];
  const notes: string[] = [];
  const failures: string[] = [];
  try {
    for (const name of names) {
      const t = Date.now();
      process.stderr.write(`bench: ${name}…\n`);
      try {
        const result = await SCENARIOS[name]!(rig);
        rows.push(...result.rows);
        notes.push(...result.notes);
        process.stderr.write(`${formatTable(result.rows)}\n`);
      } catch (error) {
        const message = `${name} failed: ${(error as Error).stack ?? String(error)}`;
        failures.push(message);
        process.stderr.write(`bench: ${message}\n`);
      }
      process.stderr.write(`bench: ${name} took ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
    }
  } finally {
    await rig.stop();
  }

  const table = formatTable(rows);
  process.stdout.write(`${table}\n`);
  // A partial run prints its table but keeps the full run's RESULTS.md, unless asked.
  if (argv.length === 0 || process.env.BENCH_WRITE_RESULTS === "1") writeResults({ started, revision, names, argv, table, notes, failures, rows });
  else process.stderr.write("bench: partial run; bench/RESULTS.md left as it was (BENCH_WRITE_RESULTS=1 to overwrite)\n");
  return failures.length > 0 ? 1 : 0;
}

function writeResults(r: { started: Date; revision: string; names: string[]; argv: string[]; table: string; notes: string[]; failures: string[]; rows: Row[] }): void {
  const env = Object.keys(process.env)
    .filter((k) => k.startsWith("BENCH_") && k !== "BENCH_WRITE_RESULTS" && process.env[k])
    .sort()
    .map((k) => (k === "BENCH_BEFORE_ENTRY" ? `${k}=$(sh bench/buildBaseline.sh ${beforeLabel().replace(/^before \((.*)\)$/, "$1")}) ` : `${k}=${process.env[k]} `))
    .join("");
  const command = `${env}npm run bench${r.argv.length > 0 ? ` -- ${r.argv.join(" ")}` : ""}`;
  const cpu = cpus();
  const machine = [
    `- date: ${r.started.toISOString()}`,
    `- machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${process.platform} ${process.arch}`,
    `- Node ${process.version}; commit ${r.revision}`,
    `- reproduce: \`${command}\``,
    `- scenarios: ${r.names.join(", ")}`,
  ];
  const text = [
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
  writeFileSync(resolve(import.meta.dirname, "RESULTS.md"), text);
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
