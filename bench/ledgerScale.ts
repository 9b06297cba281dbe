import { join } from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { INITIALIZE, INITIALIZED, SERVER_ENTRY, envInt, spawnRaw, tempDir, writeConfigFile } from "./harness.js";
import { assertFixtureParses, writeLedgerFixture, type FixtureInfo } from "./ledgerFixture.js";
import { latencyRow, median, nowMs, rotation, type Row, type ScenarioResult } from "./stats.js";

const NAME = "ledger scale";
const MAX_SECONDS = 600;

/**
 * Start-up against ledgers of 0, 10 000 and 100 000 payments (3 lines each), alternated:
 * spawn → `initialize` answered (the ledger's last 24 h are folded before the server
 * answers), and spawn → `spending_history {limit: 20}` answered (30 days by default).
 */
export async function ledgerScale(): Promise<ScenarioResult> {
  const rounds = envInt("BENCH_LEDGER_ROUNDS", 10);
  const sizes = (process.env.BENCH_LEDGER_SIZES ?? "0,10000,100000").split(",").map((s) => Number(s.trim()));
  const key = generatePrivateKey();
  const payer = privateKeyToAccount(key).address;
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", X402_PRIVATE_KEY: key };

  const cases = sizes.map((size) => {
    const dir = tempDir(`s5-${size}`);
    const ledger = join(dir, "ledger.jsonl");
    const t = nowMs();
    const info = writeLedgerFixture(ledger, size, payer);
    const generatedMs = nowMs() - t;
    assertFixtureParses(ledger, size > 20_000 ? 7 : 1);
    const config = writeConfigFile(dir, {
      networks: ["eip155:84532"],
      rpc: { "eip155:84532": "http://127.0.0.1:9" },
      budget: { perCall: "1", perSession: "100000", perDay: "100000" },
      ledger,
    });
    return { size, dir, config, info, generatedMs, init: [] as number[], history: [] as number[], historyOnly: [] as number[], checked: "" };
  });

  const runOnce = async (c: (typeof cases)[number]) => {
    const server = spawnRaw([SERVER_ENTRY, "--config", c.config], env, c.dir);
    try {
      server.send(INITIALIZE(1));
      const init = await server.response(1);
      server.send(INITIALIZED);
      const sent = nowMs();
      server.send({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "spending_history", arguments: { limit: 20 } } });
      const history = await server.response(2, 120_000);
      const out = (history.message.result as { structuredContent?: { receipts: unknown[]; totals: { byHost: { payments: number }[] } } } | undefined)?.structuredContent;
      if (!out) throw new Error(`bench: spending_history failed: ${JSON.stringify(history.message).slice(0, 400)}`);
      const counted = out.totals.byHost.reduce((sum, h) => sum + h.payments, 0);
      c.checked = `${out.receipts.length} receipts returned, ${counted} payments in the 30-day totals`;
      c.init.push(init.at - server.t0);
      c.history.push(history.at - server.t0);
      c.historyOnly.push(history.at - sent);
    } finally {
      await server.stop();
    }
  };

  for (const c of cases) await runOnce(c); // warm-up: page cache, lock files
  const deadline = Date.now() + MAX_SECONDS * 1000;
  for (let round = 0; round < rounds && Date.now() < deadline; round++) {
    for (const c of rotation(cases, round)) await runOnce(c);
  }

  const zero = cases[0]!;
  const baseInit = { variant: `${zero.size} payments`, samples: zero.init };
  const baseHistory = { variant: `${zero.size} payments`, samples: zero.history };
  const rows: Row[] = [];
  for (const c of cases) {
    const label = `${c.size.toLocaleString("en-US")} payments`;
    rows.push(
      latencyRow(NAME, `${label}: spawn → initialize`, c.init, c === zero ? { note: "baseline" } : { base: baseInit, target: c.size >= 100_000 ? { ratio: 1.5 } : undefined }),
    );
  }
  for (const c of cases) {
    const label = `${c.size.toLocaleString("en-US")} payments`;
    rows.push(
      latencyRow(NAME, `${label}: spawn → spending_history(20)`, c.history, c === zero ? { note: "baseline" } : { base: baseHistory, note: `the call alone: median ${median(c.historyOnly).toFixed(0)} ms` }),
    );
  }
  return {
    rows,
    notes: [
      `Ledger scale: fixtures are payments of 3 lines each (reserve, sign, verified outcome with a full receipt), spread evenly over the last 30 days, newest one minute ago; every line parses with the server's own parseLedgerLine. ` +
        cases.map((c) => `${describe(c.info)} (generated in ${(c.generatedMs / 1000).toFixed(1)} s; spending_history: ${c.checked})`).join("; ") +
        ".",
    ],
  };
}

function describe(info: FixtureInfo): string {
  return `${info.payments} payments = ${info.lines} lines, ${(info.bytes / 2 ** 20).toFixed(1)} MiB, ${info.inLast24h} in the last 24 h`;
}
