import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writePayments } from "./ledger.js";
import { runCli, tempHome, writeConfig } from "./run.js";

const PAYER = "0x1111111111111111111111111111111111111111";
const TX = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;

describe("x402-wallet-mcp receipts", () => {
  const { dir, env } = tempHome();
  const ledger = join(dir, "ledger.jsonl");
  const config = writeConfig({ networks: ["eip155:84532"], rpc: { "eip155:84532": "http://127.0.0.1:9" }, ledger, budget: { perDay: "2.00" } });
  const now = Date.now();
  const payments = [
    { url: "http://api.one.test/a", usdMicros: 10_000n, at: now - 3 * 3600_000, transaction: TX(1) },
    { url: "http://api.two.test/b", usdMicros: 250_000n, at: now - 2 * 3600_000, transaction: TX(2) },
    { url: "http://api.one.test/c", usdMicros: 40_000n, at: now - 3600_000 },
  ];
  const written = writePayments(ledger, PAYER, payments);

  it("--json is the spending_history report: receipts newest first, totals and the budget", async () => {
    const [first, second] = await written;
    const result = await runCli(["receipts", "--json", "--config", config], env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.receipts).toHaveLength(3);
    expect(report.receipts[0]).toMatchObject({
      status: "unconfirmed",
      amount: "0.04",
      amountAtomic: "40000",
      resource: "http://api.one.test/c",
      payer: PAYER,
      transaction: null,
      paidAt: new Date(payments[2]!.at).toISOString(),
      note: "signed, but the server process stopped before the outcome was recorded; it may have settled",
    });
    expect(report.receipts[1]).toEqual(second);
    expect(report.receipts[2]).toEqual(first);
    expect(report.totals.byHost).toEqual(
      expect.arrayContaining([
        { host: "api.one.test", spent: "0.05", payments: 2 },
        { host: "api.two.test", spent: "0.25", payments: 1 },
      ]),
    );
    expect(report.totals.byHost).toHaveLength(2);
    const days = report.totals.byDay as { spent: string; payments: number }[];
    expect(days.reduce((n, d) => n + d.payments, 0)).toBe(3);
    expect(report.budget.day).toEqual({ spent: "0.30", limit: "2.00", remaining: "1.70" });
  });

  it("--host, --limit and --since filter as the tool does", async () => {
    await written;
    const byHost = JSON.parse((await runCli(["receipts", "--json", "--config", config, "--host", "api.two.test"], env)).stdout);
    expect(byHost.receipts.map((r: { resource: string }) => r.resource)).toEqual(["http://api.two.test/b"]);
    const wildcard = JSON.parse((await runCli(["receipts", "--json", "--config", config, "--host", "*.one.test", "--limit", "1"], env)).stdout);
    expect(wildcard.receipts.map((r: { resource: string }) => r.resource)).toEqual(["http://api.one.test/c"]);
    expect(wildcard.totals.byHost).toEqual([{ host: "api.one.test", spent: "0.05", payments: 2 }]);
    const since = new Date(now - 2.5 * 3600_000).toISOString();
    const recent = JSON.parse((await runCli(["receipts", "--json", "--config", config, "--since", since], env)).stdout);
    expect(recent.since).toBe(since);
    expect(recent.receipts.map((r: { resource: string }) => r.resource)).toEqual(["http://api.one.test/c", "http://api.two.test/b"]);
  });

  it("prints a table of the same receipts", async () => {
    await written;
    const result = await runCli(["receipts", "--config", config], env);
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(/^Payments since \S+Z, newest first \(3 shown\):$/);
    expect(lines[2]).toMatch(/^PAID AT \(UTC\)\s+AMOUNT\s+STATUS\s+NETWORK\s+RESOURCE\s+TRANSACTION$/);
    const paidAt = (at: number) => new Date(at).toISOString().slice(0, 19).replace("T", " ");
    expect(lines[3]).toMatch(new RegExp(`^${paidAt(payments[2]!.at)}\\s+0\\.04 USDC\\s+unconfirmed\\s+eip155:84532\\s+http://api\\.one\\.test/c\\s+-$`));
    expect(lines[4]).toMatch(new RegExp(`^${paidAt(payments[1]!.at)}\\s+0\\.25 USDC\\s+verified\\s+eip155:84532\\s+http://api\\.two\\.test/b\\s+${TX(2)}$`));
    expect(lines[5]).toMatch(new RegExp(`^${paidAt(payments[0]!.at)}\\s+0\\.01 USDC\\s+verified\\s+eip155:84532\\s+http://api\\.one\\.test/a\\s+${TX(1)}$`));
    expect(result.stdout).toMatch(/^api\.one\.test\s+0\.05\s+2$/m);
    expect(result.stdout).toMatch(/^api\.two\.test\s+0\.25\s+1$/m);
    expect(result.stdout).toContain("Budget: 0.30 of 2.00 USD spent in the last 24 hours, 1.70 left; per call 0.10 USD.");
  });

  it("--csv is the --json list as RFC 4180 CSV: a header, one row per payment, decimal amounts", async () => {
    await written;
    const json = JSON.parse((await runCli(["receipts", "--json", "--config", config], env)).stdout);
    const result = await runCli(["receipts", "--csv", "--config", config], env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.endsWith("\r\n")).toBe(true);
    const [header, ...rows] = parseCsv(result.stdout);
    expect(header).toEqual(["paid_at", "amount", "symbol", "amount_atomic", "status", "network", "host", "resource", "pay_to", "payer", "transaction", "explorer_url", "scheme", "x402_version", "asset", "note", "payment_id"]);
    expect(rows).toHaveLength(3);
    const column = (name: string) => rows.map((row) => row[header!.indexOf(name)]);
    expect(column("amount")).toEqual(["0.04", "0.25", "0.01"]);
    expect(column("paid_at")).toEqual(json.receipts.map((r: { paidAt: string }) => r.paidAt));
    expect(column("host")).toEqual(["api.one.test", "api.two.test", "api.one.test"]);
    expect(column("status")).toEqual(["unconfirmed", "verified", "verified"]);
    expect(column("transaction")).toEqual(["", TX(2), TX(1)]);
    expect(column("explorer_url")).toEqual(["", `https://sepolia.basescan.org/tx/${TX(2)}`, `https://sepolia.basescan.org/tx/${TX(1)}`]);
    expect(column("note")).toEqual([json.receipts[0].note, "", ""]);
    expect(column("payment_id")).toEqual(json.receipts.map((r: { paymentId?: string }) => r.paymentId ?? ""));
    expect(result.stdout).toContain(',"signed, but the server process stopped before the outcome was recorded; it may have settled",\r\n');
  });

  it("--csv quotes commas, quotes and line breaks, and defuses spreadsheet formulas", async () => {
    const { formatCsv } = await import("../../src/cli/csv.js");
    expect(formatCsv([["a", 'say "hi"', "x,y", "two\nlines", "=HYPERLINK(1)", "-0.5", "@x", ""]])).toBe(
      'a,"say ""hi""","x,y","two\nlines",\'=HYPERLINK(1),-0.5,\'@x,\r\n',
    );
  });

  it("--csv and --json together is a usage error", async () => {
    const result = await runCli(["receipts", "--csv", "--json", "--config", config], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--json and --csv");
  });

  it("says so when there is nothing to list", async () => {
    const fresh = tempHome();
    const empty = writeConfig({ networks: ["eip155:84532"], ledger: join(fresh.dir, "ledger.jsonl") });
    const result = await runCli(["receipts", "--config", empty], fresh.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^No payments since \S+Z\.\n\nBudget: 0\.00 of 5\.00 USD spent in the last 24 hours, 5\.00 left; per call 0\.10 USD\.\n$/);
  });
});

/** An RFC 4180 reader, as a spreadsheet reads the file: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\r" && text[i + 1] === "\n") row.push(field), rows.push(row), (row = []), (field = ""), i++;
    else field += c;
  }
  return rows;
}
