import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Logger } from "../log.js";
import type { Runtime } from "../runtime.js";
import { registerDiscoverServices } from "../tools/discoverServices.js";
import { registerPaidFetch } from "../tools/paidFetch.js";
import { registerQuotePrice } from "../tools/quotePrice.js";
import { registerSpendingHistory } from "../tools/spendingHistory.js";
import { registerWalletBalance } from "../tools/walletBalance.js";
import { VERSION } from "../version.js";
import { personApprover } from "./elicitApproval.js";
import { registerWalletUi } from "./walletUiResource.js";

const INSTRUCTIONS = [
  "This server pays for HTTP APIs that answer 402 Payment Required (x402), from a USDC wallet, within limits set by its owner.",
  "Use paid_fetch for URLs that may cost money; it pays at most once per call and returns the content with a receipt. Paging a paid page (start_index) never pays again.",
  "When unsure what a URL costs, call quote_price first: it pays nothing. Pass max_payment to cap a single call. discover_services finds paid APIs.",
  "wallet_balance and spending_history show what is left and what was paid. Never retry a call refused for a budget, a policy or a rejected payment.",
  "APPROVAL_REQUIRED with a link: show the person the link (only they can approve, in their browser), and once they say they approved, repeat the same call; it pays once.",
].join("\n");

/** The MCP server with its tools; transport-agnostic (stdio today, Streamable HTTP later). */
export function createServer(runtime: Runtime): McpServer {
  const server = new McpServer(
    { name: "x402-wallet-mcp", version: VERSION },
    { instructions: INSTRUCTIONS, capabilities: { logging: {} } },
  );
  // Payments and refusals reach the client's log too, not only stderr.
  const rt: Runtime = { ...runtime, logger: teeToMcp(runtime.logger, server) };
  registerPaidFetch(server, rt, personApprover(server, rt));
  registerQuotePrice(server, rt);
  registerWalletBalance(server, rt);
  registerSpendingHistory(server, rt);
  registerDiscoverServices(server, rt);
  registerWalletUi(server);
  return server;
}

function teeToMcp(logger: Logger, server: McpServer): Logger {
  return {
    log(level, message) {
      logger.log(level, message);
      // Sent once the current turn of work is done, so a tool's answer is not queued behind
      // the log line about it: the client reads (and validates) messages in order.
      setImmediate(() => {
        if (!server.isConnected()) return;
        server.server.sendLoggingMessage({ level, logger: "x402-wallet-mcp", data: message }).catch(() => undefined);
      });
    },
  };
}
