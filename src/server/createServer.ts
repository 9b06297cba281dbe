import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Runtime } from "../runtime.js";
import { elicitationApprover } from "./elicitApproval.js";
import { registerPaidFetch } from "../tools/paidFetch.js";
import { registerQuotePrice } from "../tools/quotePrice.js";
import { registerSpendingHistory } from "../tools/spendingHistory.js";
import { registerWalletBalance } from "../tools/walletBalance.js";
import { VERSION } from "../version.js";

const INSTRUCTIONS = [
  "This server pays for HTTP APIs that answer 402 Payment Required (x402), from a USDC wallet, within limits set by its owner.",
  "Use paid_fetch for URLs that may cost money; it pays at most once per call and returns the content with a receipt.",
  "When unsure what a URL costs, call quote_price first: it pays nothing. Pass max_payment to cap a single call.",
  "wallet_balance and spending_history show what is left and what was paid. Never retry a call refused for a budget, a policy or a rejected payment.",
].join("\n");

/** The MCP server with its tools; transport-agnostic (stdio today, Streamable HTTP later). */
export function createServer(rt: Runtime): McpServer {
  const server = new McpServer({ name: "x402-wallet-mcp", version: VERSION }, { instructions: INSTRUCTIONS });
  registerPaidFetch(server, rt, elicitationApprover(server, rt.config.approval.timeoutMs));
  registerWalletBalance(server, rt);
  registerQuotePrice(server, rt);
  registerSpendingHistory(server, rt);
  return server;
}
