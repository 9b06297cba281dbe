import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { INITIALIZE, INITIALIZED, SERVER_ENTRY, envInt, spawnRaw, tempDir, writeConfigFile, type RawServer } from "./harness.js";
import { assertFixtureParses, writeLedgerFixture } from "./ledgerFixture.js";
import { latencyRow, median, nowMs, rotation, type Row, type ScenarioResult } from "./stats.js";

const NAME = "history scale";
const DAY_MS = 24 * 3600_000;
/** The fixture's amounts (USD micros), one per payment in turn: as ledgerFixture.ts writes them. */
const PRICES = [1_000, 10_000, 20_000, 50_000];
const MAX_SECONDS = 600;

interface Report {
  since: string;
  receipts: unknown[];
  totals: { byHost: { spent: string; payments: number }[] };
}

/**
 * `spending_history {limit: 20}` (30 days) against ledgers of 1 000 and 100 000 payments, the
 * call alone: the first call after a start (the server reads `<ledger>.totals` and catches up),
 * and the same call again in that server. Each size's totals file is made once first, by a
 * first call that rebuilds it from the ledger (timed, one sample). Every answer's totals are
 * checked against the fixture: payments and dollars since the report's `since`.
 */
export async function historyScale(): Promise<ScenarioResult> {
  const rounds = envInt("BENCH_HISTORY_ROUNDS", 9);
  const again = envInt("BENCH_HISTORY_AGAIN", 5);
  const sizes = (process.env.BENCH_HISTORY_SIZES ?? "1000,100000").split(",").map((s) => Number(s.trim()));
  const key = generatePrivateKey();
  const payer = privateKeyToAccount(key).address;
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", X402_PRIVATE_KEY: key };

  const cases = sizes.map((size) => {
    const dir = tempDir(`history-${size}`);
    const ledger = join(dir, "ledger.jsonl");
    const generatedAt = Date.now();
    const info = writeLedgerFixture(ledger, size, payer, generatedAt);
    assertFixtureParses(ledger, size > 20_000 ? 7 : 1);
    const config = writeConfigFile(dir, {
      networks: ["eip155:84532"],
      rpc: { "eip155:84532": "http://127.0.0.1:9" },
      budget: { perCall: "1", perSession: "100000", perDay: "100000" },
      ledger,
    });
    return { size, dir, ledger, config, info, generatedAt, rebuild: 0, first: [] as number[], warm: [] as number[] };
  });

  /** Times one call and checks its totals against the fixture. */
  const call = async (server: RawServer, id: number, c: (typeof cases)[number]): Promise<number> => {
    const sent = nowMs();
    server.send({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "spending_history", arguments: { limit: 20 } } });
    const answer = await server.response(id, 300_000);
    const took = answer.at - sent;
    const report = (answer.message.result as { structuredContent?: Report } | undefined)?.structuredContent;
    if (!report) throw new Error(`bench: spending_history failed: ${JSON.stringify(answer.message).slice(0, 400)}`);
    checkTotals(report, c.size, c.generatedAt);
    return took;
  };

  const start = async (c: (typeof cases)[number]) => {
    const server = spawnRaw([SERVER_ENTRY, "--config", c.config], env, c.dir);
    server.send(INITIALIZE(1));
    await server.response(1);
    server.send(INITIALIZED);
    return server;
  };

  // The totals files: made by each size's first call, written after its answer.
  for (const c of cases) {
    const server = await start(c);
    try {
      c.rebuild = await call(server, 2, c);
      const totals = `${c.ledger}.totals`;
      for (let waited = 0; !existsSync(totals) && waited < 60_000; waited += 50) await sleep(50);
      if (!existsSync(totals)) throw new Error(`bench: ${totals} was not written after the first spending_history`);
    } finally {
      await server.stop(60_000);
    }
  }

  const deadline = Date.now() + MAX_SECONDS * 1000;
  for (let round = 0; round < rounds && Date.now() < deadline; round++) {
    for (const c of rotation(cases, round)) {
      const server = await start(c);
      try {
        c.first.push(await call(server, 2, c));
        for (let i = 0; i < again; i++) c.warm.push(await call(server, 3 + i, c));
      } finally {
        await server.stop();
      }
    }
  }

  const [small, ...larger] = cases;
  if (!small) throw new Error("bench: BENCH_HISTORY_SIZES names no size");
  const label = (size: number) => `${size.toLocaleString("en-US")} payments`;
  const rows: Row[] = [];
  for (const [kind, pick] of [
    ["first call after start", (c: (typeof cases)[number]) => c.first],
    ["call again", (c: (typeof cases)[number]) => c.warm],
  ] as const) {
    const base = { variant: `${label(small.size)}: ${kind}`, samples: pick(small) };
    rows.push(latencyRow(NAME, base.variant, base.samples, { note: "baseline" }));
    for (const c of larger) {
      const variant = `${label(c.size)}: ${kind}`;
      rows.push(latencyRow(NAME, variant, pick(c), { target: { ms: 50 } }));
      rows.push(latencyRow(NAME, `${variant}, against ${label(small.size)}`, pick(c), { base, target: { ratio: 2 } }));
    }
  }
  const ratioText = larger.map((c) => `${label(c.size)} / ${label(small.size)}: first call ${(median(c.first) / median(small.first)).toFixed(2)}, again ${(median(c.warm) / median(small.warm)).toFixed(2)}`).join("; ");
  process.stderr.write(`bench: history scale: ${ratioText} (targets: ≤ 50 ms, ≤ 2× the ${label(small.size)} time)\n`);
  return {
    rows,
    notes: [
      `History scale: spending_history {limit: 20} over the default 30 days, the call alone (request sent → answer read), ${rounds} starts per size alternated, each a first call then ${again} more in the same server. ` +
        "Targets (issue 20): ≤ 50 ms at 100 000 payments, and ≤ 2× the time at 1 000. " +
        `Ratios: ${ratioText}. ` +
        cases
          .map((c) => `${label(c.size)}: ledger ${(c.info.bytes / 2 ** 20).toFixed(1)} MiB, totals file ${(statSync(`${c.ledger}.totals`).size / 2 ** 20).toFixed(1)} MiB; the first call ever (no totals file: rebuilt from the whole ledger, then written) ${c.rebuild.toFixed(0)} ms`)
          .join("; ") +
        ". Every answer's totals are checked against the fixture (payments and dollars since the report's since).",
    ],
  };
}

/** The fixture's payments and dollars at or after the report's `since` must be exactly what the report totals. */
function checkTotals(report: Report, size: number, generatedAt: number): void {
  const since = Date.parse(report.since);
  const span = 30 * DAY_MS;
  const first = generatedAt - span;
  let payments = 0;
  let micros = 0;
  for (let i = 0; i < size; i++) {
    const at = Math.floor(first + ((i + 1) / size) * (span - 60_000));
    if (at < since) continue;
    payments++;
    micros += PRICES[i % PRICES.length]!;
  }
  const counted = report.totals.byHost.reduce((sum, h) => sum + h.payments, 0);
  const spent = report.totals.byHost.reduce((sum, h) => sum + Math.round(Number(h.spent.replace(/[^0-9.]/g, "")) * 1e6), 0);
  if (counted !== payments || spent !== micros || report.receipts.length !== Math.min(20, payments)) {
    throw new Error(`bench: spending_history counted ${counted} payments and ${spent} micros with ${report.receipts.length} receipts; the fixture has ${payments} and ${micros} since ${report.since}`);
  }
}
