import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { quotePrice, type Quote } from "../payment/quotePrice.js";
import type { Runtime } from "../runtime.js";
import { budgetSummary } from "./budgetSummary.js";
import { BudgetOutput, RequestInput } from "./schemas.js";
import { toolError } from "./toolError.js";

const QuotedOption = z.object({
  amount: z
    .string()
    .nullable()
    .describe("Decimal amount in the asset's units; null for an unknown asset. For scheme upto, the maximum: the server takes up to it, and every cap applies to it"),
  amountAtomic: z.string(),
  usd: z.string().nullable().describe("The amount in USD, rounded up (for upto, of the maximum)"),
  asset: z.string(),
  symbol: z.string().nullable(),
  network: z.string(),
  payTo: z.string(),
  scheme: z.string(),
  x402Version: z.union([z.literal(1), z.literal(2)]),
  payable: z.boolean(),
  chosen: z.boolean().describe("The option paid_fetch would pay"),
  refusal: z.object({ code: z.string(), reason: z.string() }).nullable(),
});

export const QuotePriceOutput = {
  url: z.string(),
  status: z.number().int().describe("HTTP status of the unpaid request"),
  paymentRequired: z.boolean(),
  options: z.array(QuotedOption),
  allowed: z.boolean().describe("Whether paid_fetch would pay the chosen option now"),
  refusal: z.object({ code: z.string(), message: z.string() }).nullable().describe("The error paid_fetch would return instead"),
  needsApproval: z.boolean().describe("The person would be asked to approve it"),
  budget: BudgetOutput,
};

export function registerQuotePrice(server: McpServer, rt: Runtime): void {
  server.registerTool(
    "quote_price",
    {
      title: "What would this URL cost?",
      description:
        "Ask a URL what it costs without paying: sends the request unpaid and, if it answers 402, lists every payment option (amount, asset, network, payee), which one paid_fetch would choose, and whether the owner's policy allows it now or the error code that would refuse it. An upto option (a metered price) is shown as \"up to\" its maximum: the server takes at most that, and every cap applies to it. Moves no money. Note that the request itself is sent (use it for reads).",
      inputSchema: RequestInput,
      outputSchema: QuotePriceOutput,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async (input, extra) => {
      try {
        const quote = await quotePrice(rt, { url: input.url, method: input.method, headers: input.headers ?? {}, body: input.body }, extra.signal);
        const budget = await budgetSummary(rt);
        return { content: [{ type: "text", text: describe(quote) }], structuredContent: { ...quote, budget } };
      } catch (error) {
        return toolError(error);
      }
    },
  );
}

function describe(quote: Quote): string {
  if (!quote.paymentRequired) return `${quote.url} asks for no payment (HTTP ${quote.status}); paid_fetch would fetch it for free.`;
  const lines = quote.options.map((o) =>
    o.payable
      ? `- ${o.scheme === "upto" ? "up to " : ""}${o.amount} ${o.symbol} (${o.scheme === "upto" ? "up to " : ""}${o.usd} USD) on ${o.network} to ${o.payTo}, scheme ${o.scheme}, x402 v${o.x402Version}${o.chosen ? "  ← would be chosen" : ""}`
      : `- ${o.scheme === "upto" ? "up to " : ""}${o.amountAtomic} atomic units of ${o.asset} on ${o.network}: cannot be paid (${o.refusal?.code}: ${o.refusal?.reason})`,
  );
  const verdict = quote.allowed
    ? `paid_fetch would pay the chosen option now${quote.needsApproval ? ", after the person approves it" : ""}.`
    : `paid_fetch would refuse: [${quote.refusal?.code}] ${quote.refusal?.message}`;
  return [`${quote.url} asks for payment. Options:`, ...lines, verdict, "Nothing was paid."].join("\n");
}
