import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { bodyText } from "../content/bodyText.js";
import { findNetwork } from "../chain/networks.js";
import { parseUsd } from "../money.js";
import { fetchWithPayment } from "../payment/fetchWithPayment.js";
import type { Receipt } from "../payment/receipt.js";
import type { Approver } from "../policy/approval.js";
import type { Runtime } from "../runtime.js";
import { budgetSummary } from "./budgetSummary.js";
import { ReceiptSchema } from "../payment/receipt.js";
import { BudgetOutput, RequestInput } from "./schemas.js";
import { toolError } from "./toolError.js";

export const PaidFetchInput = {
  ...RequestInput,
  max_payment: z
    .string()
    .regex(/^\d{1,12}(\.\d{1,6})?$/, 'max_payment must be a USD amount such as "0.05"')
    .optional()
    .describe("Optional USD cap for this call only, e.g. \"0.05\". Can lower the configured per-call limit, never raise it."),
};

export const PaidFetchOutput = {
  status: z.number().int().describe("HTTP status of the final response"),
  url: z.string(),
  contentType: z.string().nullable(),
  body: z.string(),
  payment: ReceiptSchema.nullable().describe("The receipt when this call paid, null when it did not"),
  budget: BudgetOutput,
};

export function registerPaidFetch(server: McpServer, rt: Runtime, approve: Approver): void {
  server.registerTool(
    "paid_fetch",
    {
      title: "Fetch a URL, paying with x402 if it asks",
      description:
        "Fetch an http(s) URL. If the server answers 402 Payment Required (x402), pay it from the wallet in USDC within the owner's limits, then return the content and a receipt. " +
        "At most one payment per call; free URLs are fetched without paying. Use max_payment to cap what this call may spend. " +
        "Errors start with a code: PRICE_ABOVE_CALL_LIMIT or SESSION_BUDGET_EXCEEDED (over the owner's caps; do not retry), " +
        "NO_ACCEPTABLE_PAYMENT_OPTION (no network/token this wallet pays), INVALID_PAYMENT_REQUIRED (broken server), " +
        "DAILY_BUDGET_EXCEEDED, HOST_BUDGET_EXCEEDED, HOST_NOT_ALLOWED, PAYEE_NOT_ALLOWED (owner's policy; do not retry), " +
        "APPROVAL_REQUIRED / APPROVAL_DENIED (the person must approve payments this large), " +
        "PAYMENT_REJECTED (paid once, server asked again; do not retry), INSUFFICIENT_FUNDS, NO_WALLET, HTTP_ERROR. " +
        "Use quote_price first when unsure what a URL costs.",
      inputSchema: PaidFetchInput,
      outputSchema: PaidFetchOutput,
      annotations: { openWorldHint: true, readOnlyHint: false, destructiveHint: false },
    },
    async (input, extra) => {
      try {
        const outcome = await fetchWithPayment(
          rt,
          {
            url: input.url,
            method: input.method,
            headers: input.headers ?? {},
            body: input.body,
            maxPayment: input.max_payment === undefined ? undefined : parseUsd(input.max_payment),
          },
          { signal: extra.signal, approve },
        );
        const contentType = outcome.response.header("content-type") ?? null;
        const text = bodyText(outcome.response.body, contentType ?? undefined);
        const budget = await budgetSummary(rt);
        const structured = {
          status: outcome.response.status,
          url: outcome.response.url,
          contentType,
          body: text,
          payment: outcome.payment,
          budget,
        };
        return {
          content: [{ type: "text", text: `${text}\n\n${summaryLine(outcome.response.status, outcome.payment, budget)}` }],
          structuredContent: structured,
        };
      } catch (error) {
        return toolError(error);
      }
    },
  );
}

function summaryLine(status: number, payment: Receipt | null, budget: BudgetOutput): string {
  const left = `Budget left: ${budget.session.remaining} of ${budget.session.limit} USD this session, ${budget.day.remaining} of ${budget.day.limit} USD today.`;
  const http = status >= 200 && status < 300 ? "" : ` The server answered HTTP ${status}.`;
  if (!payment) return `No payment was needed.${http} ${left}`;
  if (payment.status === "mismatch") {
    return `WARNING: paid ${payment.amount} ${payment.symbol} to ${payment.payTo}, but the transaction the server reported does not match the payment on-chain: ${payment.note}.${http} ${left}`;
  }
  const network = findNetwork(payment.network)?.displayName ?? payment.network;
  const tx = payment.transaction
    ? `transaction ${payment.transaction}${payment.status === "verified" ? ", verified on-chain" : ""}${payment.explorerUrl ? ` (${payment.explorerUrl})` : ""}`
    : `settlement unconfirmed: ${payment.note ?? "no transaction reported"}`;
  return `Paid ${payment.amount} ${payment.symbol} to ${payment.payTo} on ${network} (${payment.network}); ${tx}.${http} ${left}`;
}

