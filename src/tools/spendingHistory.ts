import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { spendingReport, type SpendingReport } from "../payment/spendingReport.js";
import { ReceiptSchema } from "../payment/receipt.js";
import type { Runtime } from "../runtime.js";
import { WALLET_UI_TOOL_META } from "../ui/walletUi.js";
import { budgetSummary } from "./budgetSummary.js";
import { BudgetOutput } from "./schemas.js";
import { toolError } from "./toolError.js";

export const SpendingHistoryInput = {
  limit: z.int().min(1).max(500).default(20).describe("How many receipts to return, newest first (default 20)."),
  since: z.iso.datetime({ offset: true }).optional().describe("Only payments at or after this ISO time (default: the last 30 days)."),
  host: z.string().min(1).max(256).optional().describe('Only payments to this host, or hosts matching "*.example.com".'),
};

const Total = { spent: z.string().describe("USD"), payments: z.number().int() };

export const SpendingHistoryOutput = {
  since: z.string(),
  receipts: z.array(ReceiptSchema),
  totals: z.object({
    byDay: z.array(z.object({ day: z.string().describe("UTC date"), ...Total })),
    byHost: z.array(z.object({ host: z.string(), ...Total })),
    byDayAndHost: z.array(z.object({ day: z.string().describe("UTC date"), host: z.string(), ...Total })),
  }),
  budget: BudgetOutput,
};

export function registerSpendingHistory(server: McpServer, rt: Runtime): void {
  server.registerTool(
    "spending_history",
    {
      title: "What has been paid",
      description:
        "List past payments from the wallet's ledger (newest first, with receipts and transaction hashes), totals per day and per host, and the budget left. Costs nothing.",
      inputSchema: SpendingHistoryInput,
      outputSchema: SpendingHistoryOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
      _meta: WALLET_UI_TOOL_META,
    },
    async (input) => {
      try {
        const report = await spendingReport(rt, { limit: input.limit, since: input.since ? new Date(input.since) : undefined, host: input.host });
        const budget = await budgetSummary(rt);
        return { content: [{ type: "text", text: describe(report) }], structuredContent: { ...report, budget } };
      } catch (error) {
        return toolError(error);
      }
    },
  );

  server.registerResource(
    "receipts",
    "x402://receipts",
    { title: "Payment receipts", description: "The latest payments from the wallet's ledger, as JSON.", mimeType: "application/json" },
    async (uri) => {
      const report = await spendingReport(rt, { limit: 100, since: undefined, host: undefined });
      const budget = await budgetSummary(rt);
      return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify({ ...report, budget }, null, 2) }] };
    },
  );
}

function describe(report: SpendingReport): string {
  if (report.receipts.length === 0) return `No payments since ${report.since}.`;
  const lines = report.receipts.map(
    (r) => `- ${r.paidAt} ${r.amount} ${r.symbol} to ${r.payTo} for ${r.resource} (${r.status}${r.transaction ? ` ${r.transaction}` : ""})`,
  );
  const days = report.totals.byDay.map((d) => `${d.day}: ${d.spent} USD in ${d.payments} payment(s)`);
  return [`Payments since ${report.since}, newest first:`, ...lines, "Totals per day:", ...days].join("\n");
}
