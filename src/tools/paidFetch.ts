import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { findNetwork } from "../chains/index.js";
import { paginate, pagingHint } from "../content/paginate.js";
import { renderBody } from "../content/renderBody.js";
import { parseUsd } from "../money.js";
import { fetchWithPayment, type PaidFetchOutcome } from "../payment/fetchWithPayment.js";
import { ReceiptSchema, type Receipt } from "../payment/receipt.js";
import type { SignIn } from "../payment/signInWithX.js";
import type { CallApprover } from "../policy/approval.js";
import type { Runtime } from "../runtime.js";
import { budgetSummary, unknownBudget } from "./budgetSummary.js";
import { deliverBinary } from "./deliverBinary.js";
import { progressReporter } from "./progress.js";
import { BudgetOutput, RequestInput } from "./schemas.js";
import { toolError } from "./toolError.js";

export const PaidFetchInput = {
  ...RequestInput,
  max_payment: z
    .string()
    .regex(/^\d{1,12}(\.\d{1,6})?$/, 'max_payment must be a USD amount such as "0.05"')
    .optional()
    .describe('Optional USD cap for this call only, e.g. "0.05". Can lower the configured per-call limit, never raise it.'),
  max_length: z.int().min(1).max(1_000_000).default(5000).describe("Most characters of text to return (default 5000)."),
  start_index: z
    .int()
    .min(0)
    .default(0)
    .describe("Start reading the text at this character; use the nextStartIndex of the previous call. A paid page is not paid again."),
  raw: z.boolean().default(false).describe("Return HTML source instead of markdown, and JSON as sent."),
};

export const PaidFetchOutput = {
  status: z.number().int().describe("HTTP status of the final response"),
  url: z.string(),
  contentType: z.string().nullable(),
  body: z.string().describe("This page of the text; empty for images and binary content"),
  format: z.enum(["markdown", "json", "text", "raw", "image", "binary"]),
  startIndex: z.number().int(),
  nextStartIndex: z.number().int().nullable().describe("Pass as start_index to read on; null at the end"),
  totalLength: z.number().int().describe("Length of the whole text, in characters"),
  savedTo: z.string().nullable().describe("Where a binary body was saved, when it was"),
  cached: z.boolean().describe("Served from the pay-once cache: nothing was paid by this call"),
  payment: ReceiptSchema.nullable().describe("The receipt when this call paid (or the original one, when cached); null when free or signed in"),
  signIn: z
    .object({
      address: z.string().describe("The wallet address that signed in"),
      chainId: z.string().describe("CAIP-2 chain of the sign-in signature"),
      transaction: z.string().nullable().describe("The earlier payment that bought this resource"),
    })
    .nullable()
    .describe("Set when the server let the wallet sign in (sign-in-with-x) as the payer of an earlier payment: nothing was paid by this call"),
  budget: BudgetOutput,
};

export function registerPaidFetch(server: McpServer, rt: Runtime, approverFor: CallApprover): void {
  server.registerTool(
    "paid_fetch",
    {
      title: "Fetch a URL, paying with x402 if it asks",
      description:
        "Fetch an http(s) URL. If the server answers 402 Payment Required (x402), pay it from the wallet in USDC within the owner's limits, then return the content and a receipt. " +
        "HTML comes back as markdown, JSON pretty-printed, images as images; long text is paged with max_length/start_index, and paging a paid page never pays again (pay once, read many). " +
        "At most one payment per call; free URLs are fetched without paying. A server offering sign-in-with-x, for a resource this wallet paid for before, is signed in to instead of paid (signIn set, payment null). Use max_payment to cap what this call may spend, and quote_price first when unsure what a URL costs. " +
        "Errors start with a code: PRICE_ABOVE_CALL_LIMIT, SESSION_BUDGET_EXCEEDED, DAILY_BUDGET_EXCEEDED, HOST_BUDGET_EXCEEDED, HOST_NOT_ALLOWED, PAYEE_NOT_ALLOWED (the owner's policy: do not retry), " +
        "APPROVAL_REQUIRED (the person must approve payments this large: show them the link in the message, then retry the same call once they approved), APPROVAL_DENIED (they declined or did not answer: do not retry), NO_ACCEPTABLE_PAYMENT_OPTION (no network/token this wallet pays), INVALID_PAYMENT_REQUIRED (broken server), " +
        "PAYMENT_REJECTED (paid once, server asked again: do not retry), INSUFFICIENT_FUNDS, NO_WALLET, HTTP_ERROR.",
      inputSchema: PaidFetchInput,
      outputSchema: PaidFetchOutput,
      annotations: { openWorldHint: true, readOnlyHint: false, destructiveHint: false, idempotentHint: false },
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
          { signal: extra.signal, approve: approverFor({ method: input.method, body: input.body }), onProgress: progressReporter(extra) },
        );
        return await present(rt, outcome, input);
      } catch (error) {
        return toolError(error, rt.logger);
      }
    },
  );
}

async function present(
  rt: Runtime,
  outcome: PaidFetchOutcome,
  input: { max_length: number; start_index: number; raw: boolean },
): Promise<CallToolResult> {
  const { response, payment, cached } = outcome;
  const signIn = outcome.signIn ?? null;
  const contentType = response.header("content-type") ?? null;
  const rendered = await renderBody({
    body: response.body,
    contentType: contentType ?? undefined,
    url: response.url,
    raw: input.raw,
    maxImageBytes: rt.config.content.maxInlineBytes,
  });
  // The content may have just been paid for: a store that stops answering now must not cost the agent its answer.
  const budget = await budgetSummary(rt).catch((error: Error) => {
    rt.logger.log("warning", `could not read the budget totals for the answer to ${response.url}: ${error.message}`);
    return unknownBudget(rt);
  });
  const summary = signIn ? signInLine(signIn, budget) : summaryLine(response.status, payment, cached, budget);
  const base = { status: response.status, url: response.url, contentType, cached, payment, signIn, budget };

  if (rendered.kind === "text") {
    const page = paginate(rendered.text, input.start_index, input.max_length);
    const hint = pagingHint(page);
    return {
      content: [{ type: "text", text: [page.text, hint, summary].filter(Boolean).join("\n\n") }],
      structuredContent: {
        ...base,
        body: page.text,
        format: rendered.format,
        startIndex: page.startIndex,
        nextStartIndex: page.nextStartIndex,
        totalLength: page.totalLength,
        savedTo: null,
      },
    };
  }
  const nonText = { ...base, body: "", startIndex: 0, nextStartIndex: null, totalLength: 0 };
  if (rendered.kind === "image") {
    return {
      content: [
        { type: "image", data: rendered.base64, mimeType: rendered.mimeType },
        { type: "text", text: `[image: ${rendered.bytes} bytes of ${rendered.mimeType}]\n\n${summary}` },
      ],
      structuredContent: { ...nonText, format: "image", savedTo: null },
    };
  }
  const delivered = await deliverBinary(rt, response.url, rendered);
  return {
    content: [...delivered.content, { type: "text", text: `${delivered.description}\n\n${summary}` }],
    structuredContent: { ...nonText, format: "binary", savedTo: delivered.savedTo },
  };
}

function budgetLeft(budget: BudgetOutput): string {
  return `Budget left: ${budget.session.remaining} of ${budget.session.limit} USD this session, ${budget.day.remaining} of ${budget.day.limit} USD today.`;
}

function signInLine(signIn: SignIn, budget: BudgetOutput): string {
  const network = findNetwork(signIn.chainId)?.displayName ?? signIn.chainId;
  const earlier = signIn.transaction ? ` (transaction ${signIn.transaction})` : "";
  return `Nothing was paid: the wallet signed in as ${signIn.address} on ${network} (sign-in-with-x), and the server recognised the earlier payment for this resource${earlier}. ${budgetLeft(budget)}`;
}

function summaryLine(status: number, payment: Receipt | null, cached: boolean, budget: BudgetOutput): string {
  const left = budgetLeft(budget);
  const http = status >= 200 && status < 300 ? "" : ` The server answered HTTP ${status}.`;
  if (!payment) return `No payment was needed.${http} ${left}`;
  const network = findNetwork(payment.network)?.displayName ?? payment.network;
  const tx = payment.transaction
    ? `transaction ${payment.transaction}${payment.status === "verified" ? ", verified on-chain" : ""}${payment.explorerUrl ? ` (${payment.explorerUrl})` : ""}`
    : `settlement unconfirmed: ${payment.note ?? "no transaction reported"}`;
  if (cached) {
    return `Nothing paid now: this response was already paid for at ${payment.paidAt} (${payment.amount} ${payment.symbol} to ${payment.payTo} on ${network}; ${tx}) and is served from the pay-once cache.${http} ${left}`;
  }
  if (payment.status === "mismatch") {
    return `WARNING: paid ${payment.amount} ${payment.symbol} to ${payment.payTo}, but the transaction the server reported does not match the payment on-chain: ${payment.note}.${http} ${left}`;
  }
  const upTo = payment.maxAmount === undefined ? "" : ` (of up to ${payment.maxAmount} signed)`;
  return `Paid ${payment.amount} ${payment.symbol}${upTo} to ${payment.payTo} on ${network} (${payment.network}); ${tx}.${http} ${left}`;
}
