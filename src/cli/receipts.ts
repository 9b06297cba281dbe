import { z } from "zod";
import { spendingReport, type SpendingReport } from "../payment/spendingReport.js";
import type { BudgetOutput } from "../tools/schemas.js";
import { budgetSummary } from "../tools/budgetSummary.js";
import { SpendingHistoryInput } from "../tools/spendingHistory.js";
import { loadRuntime } from "./loadRuntime.js";
import { formatTable, print } from "./output.js";
import { parseCommandArgs, UsageError } from "./usage.js";

/** `x402-wallet-mcp receipts`: what the spending_history tool shows, as tables or as its JSON. */
export async function runReceipts(args: string[]): Promise<number> {
  const { values } = parseCommandArgs("receipts", args, {
    config: { type: "string" },
    since: { type: "string" },
    host: { type: "string" },
    limit: { type: "string" },
    json: { type: "boolean" },
  });
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
  print(values.json ? JSON.stringify({ ...report, budget }, null, 2) : formatReport(report, budget));
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
