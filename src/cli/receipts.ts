import { z } from "zod";
import { spendingReport, type SpendingReport } from "../payment/spendingReport.js";
import type { BudgetOutput } from "../tools/schemas.js";
import { budgetSummary } from "../tools/budgetSummary.js";
import { SpendingHistoryInput } from "../tools/spendingHistory.js";
import { loadRuntime } from "./loadRuntime.js";
import { formatCsv } from "./csv.js";
import { formatTable, print } from "./output.js";
import { parseCommandArgs, UsageError } from "./usage.js";

/** `x402-wallet-mcp receipts`: what the spending_history tool shows, as tables, as its JSON or as CSV. */
export async function runReceipts(args: string[]): Promise<number> {
  const { values } = parseCommandArgs("receipts", args, {
    config: { type: "string" },
    since: { type: "string" },
    host: { type: "string" },
    limit: { type: "string" },
    json: { type: "boolean" },
    csv: { type: "boolean" },
  });
  if (values.json && values.csv) throw new UsageError("receipts: --json and --csv are two formats of the same list; choose one");
  const query = z.object(SpendingHistoryInput).safeParse({
    limit: values.limit === undefined ? undefined : Number(values.limit),
    since: values.since,
    host: values.host,
  });
  if (!query.success) {
    throw new UsageError(query.error.issues.map((issue) => `receipts: --${issue.path.join(".")}: ${issue.message}`).join("\n"));
  }
  const rt = await loadRuntime(values.config, { wallet: false });
  let report: SpendingReport;
  let budget: BudgetOutput;
  try {
    const { limit, since, host } = query.data;
    report = await spendingReport(rt, { limit, since: since ? new Date(since) : undefined, host });
    budget = await budgetSummary(rt);
  } finally {
    await rt.close();
  }
  if (values.csv) process.stdout.write(receiptsCsv(report)); // stdout-ok: CLI command output, the server is not running
  else print(values.json ? JSON.stringify({ ...report, budget }, null, 2) : formatReport(report, budget));
  return 0;
}

function formatReport(report: SpendingReport, budget: BudgetOutput): string {
  const left = `Budget: ${budget.day.spent} of ${budget.day.limit} USD spent in the last 24 hours, ${budget.day.remaining} left; per call ${budget.perCall} USD.`;
  if (report.receipts.length === 0) return [`No payments since ${report.since}.`, "", left].join("\n");
  const receipts = report.receipts.map((r) => [
    r.paidAt.slice(0, 19).replace("T", " "),
    `${r.amount} ${r.symbol}`,
    r.status,
    r.network,
    r.resource,
    r.transaction ?? "-",
  ]);
  return [
    `Payments since ${report.since}, newest first (${report.receipts.length} shown):`,
    "",
    formatTable([["PAID AT (UTC)", "AMOUNT", "STATUS", "NETWORK", "RESOURCE", "TRANSACTION"], ...receipts]),
    "",
    formatTable([["DAY (UTC)", "SPENT (USD)", "PAYMENTS"], ...report.totals.byDay.map((d) => [d.day, d.spent, String(d.payments)])]),
    "",
    formatTable([["HOST", "SPENT (USD)", "PAYMENTS"], ...report.totals.byHost.map((h) => [h.host, h.spent, String(h.payments)])]),
    "",
    left,
  ].join("\n");
}

const CSV_COLUMNS = [
  "paid_at", "amount", "symbol", "amount_atomic", "status", "network", "host", "resource",
  "pay_to", "payer", "transaction", "explorer_url", "scheme", "x402_version", "asset", "note", "payment_id",
] as const;

/** One row per receipt of the --json list, in its order; amounts stay the decimal strings the receipts hold. */
function receiptsCsv(report: SpendingReport): string {
  const rows = report.receipts.map((r) => [
    r.paidAt, r.amount, r.symbol, r.amountAtomic, r.status, r.network, hostOf(r.resource), r.resource,
    r.payTo, r.payer, r.transaction ?? "", r.explorerUrl ?? "", r.scheme, String(r.x402Version), r.asset, r.note ?? "", r.paymentId ?? "",
  ]);
  return formatCsv([[...CSV_COLUMNS], ...rows]);
}

function hostOf(resource: string): string {
  return URL.canParse(resource) ? new URL(resource).host : "";
}
