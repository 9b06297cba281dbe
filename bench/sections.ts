import { formatTable, type Row } from "./stats.js";

/**
 * A part of RESULTS.md of its own: rewritten by a run of all its scenarios, kept as it is by
 * a run of others, so a scenario can be measured alone without erasing the other figures.
 */
export interface Section {
  /** Its "## " heading, which is also how it is found again in RESULTS.md. */
  heading: string;
  scenarios: readonly string[];
  /** What it measures and how to rerun it alone. */
  intro: string;
}

export const FLEET: Section = {
  heading: "## Fleet (issue 9)",
  scenarios: ["httpVsStdio", "redisReservations", "fleetThroughput"],
  intro:
    "Streamable HTTP against stdio, reservations per second on one wallet's Redis budget, and paid calls per second of a fleet of 4 servers on one Redis. " +
    "A run of the three fleet scenarios (`npm run bench -- fleet`) replaces this section only; a full run writes it with the rest.",
};

export const PERMIT2: Section = {
  heading: "## Permit2 and upto (issue 16)",
  scenarios: ["permit2Overhead"],
  intro:
    "A paid call of the rig's `exact` route paid through Permit2 (a plain 18-decimal ERC-20) and of its `upto` route (USDC, a $0.05 maximum signed, 0.012345 settled), " +
    "through MCP against the official `@x402/fetch` client with `@x402/evm`'s exact and upto schemes paying the same routes in the same run. " +
    "`npm run bench -- permit2Overhead` replaces this section only; a full run writes it with the rest.",
};

export const SOLANA: Section = {
  heading: "## Solana (issue 17)",
  scenarios: ["solanaOverhead"],
  intro:
    "A paid call of the Solana rig's GET route (0.01 devnet USDC on LiteSVM, the official `@x402/svm` facilitator and `@x402/express` server) through MCP " +
    "against the official `@x402/fetch` client with `@x402/svm`'s exact scheme paying the same route in the same run, and the server's cold start with and without a Solana network enabled. " +
    "`npm run bench -- solanaOverhead` replaces this section only; a full run writes it with the rest.",
};

export const REPLICAS: Section = {
  heading: "## Redis replicas (issue 21)",
  scenarios: ["replicaLatency"],
  intro:
    "What `store.minReplicasAcked: 1` adds to a payment's two budget scripts (reserve, then recordSigned, each followed by `WAIT 1`), on a 3-master, 3-replica Redis Cluster on loopback, against `minReplicasAcked: 0` in the same run. " +
    "`npm run bench -- replicaLatency` replaces this section only; a full run writes it with the rest.",
};

export const HISTORY: Section = {
  heading: "## History at scale (issue 20)",
  scenarios: ["historyScale"],
  intro:
    "`spending_history {limit: 20}` over 30 days with 1 000 and 100 000 payments in the file ledger, the call alone, answered from the totals kept beside the ledger (`<ledger>.totals`). " +
    "Sizes: BENCH_HISTORY_SIZES, BENCH_HISTORY_ROUNDS starts per size, BENCH_HISTORY_AGAIN calls again per start. " +
    "`npm run bench -- historyScale` replaces this section only; a full run writes it with the rest.",
};

export const STARTUP: Section = {
  heading: "## Start-up and memory (issue 20)",
  scenarios: ["coldStart", "memory"],
  intro:
    "What `npx x402-wallet-mcp` runs, the package's bin (the esbuild bundle in `bundle/`), against a minimal `@modelcontextprotocol/sdk` stdio server with one tool (bench/minimalSdkServer.mjs) in the same rounds: " +
    "spawn → `initialize` and `tools/list` answered (target 1.3×), and RSS after 100 paid calls with node's default flags (target 100 MB), with the tsc build in dist/ and, with BENCH_BEFORE_ENTRY, the bin before issue 20 beside it. " +
    "`npm run bench -- coldStart memory` replaces this section only; a full run writes it with the rest.",
};

export const SECTIONS: readonly Section[] = [FLEET, PERMIT2, SOLANA, REPLICAS, HISTORY, STARTUP];

/** The section that `scenario` belongs to, or undefined for the main table. */
export function sectionOf(scenario: string): Section | undefined {
  return SECTIONS.find((s) => s.scenarios.includes(scenario));
}

/** A section's text: how it was run, its table, its notes and failures. */
export function sectionText(section: Section, r: { machine: string[]; rows: Row[]; notes: string[]; failures: string[] }): string {
  return [
    section.heading,
    "",
    section.intro,
    "",
    ...r.machine,
    "",
    formatTable(r.rows),
    "",
    "### Notes",
    "",
    ...r.notes.map((n) => `- ${n}`),
    ...(r.failures.length > 0 ? ["", "### Failures", "", ...r.failures.map((f) => "```\n" + f + "\n```")] : []),
    "",
  ].join("\n");
}

/** The section under `heading` in a RESULTS.md text (to the next "## " heading), or "" when it has none. */
export function extractSection(text: string, heading: string): string {
  const { start, end } = bounds(text, heading);
  return start === -1 ? "" : text.slice(start, end);
}

/** `text` with its section under `heading` replaced by `section` (appended when it had none; removed when `section` is ""). */
export function withSection(text: string, heading: string, section: string): string {
  const { start, end } = bounds(text, heading);
  // One newline at its end, whatever it came with: rewriting a section with itself changes nothing.
  const body = section === "" ? "" : section.replace(/\n*$/, "\n");
  if (start === -1) return body === "" ? text : `${text.replace(/\n*$/, "\n\n")}${body}`;
  return text.slice(0, start) + body + (end < text.length && body !== "" ? "\n" : "") + text.slice(end);
}

function bounds(text: string, heading: string): { start: number; end: number } {
  const start = text.startsWith(`${heading}\n`) ? 0 : text.indexOf(`\n${heading}\n`) + 1;
  if (start <= 0 && !text.startsWith(`${heading}\n`)) return { start: -1, end: -1 };
  const next = text.indexOf("\n## ", start + heading.length);
  return { start, end: next === -1 ? text.length : next + 1 };
}
