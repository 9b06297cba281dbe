import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Runtime } from "../runtime.js";
import { registerSpendingHistory } from "../tools/spendingHistory.js";
import { registerWalletBalance } from "../tools/walletBalance.js";
import { VERSION } from "../version.js";

/** The read-only wallet tools, called in-process: the dashboard shows exactly what an agent (and the MCP App) sees. */
export interface WalletTools {
  call(name: "wallet_balance" | "spending_history", args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export async function connectWalletTools(rt: Runtime): Promise<WalletTools> {
  const server = new McpServer({ name: "x402-wallet-mcp", version: VERSION });
  registerWalletBalance(server, rt);
  registerSpendingHistory(server, rt);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "x402-wallet-mcp-dashboard", version: VERSION });
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    close: () => client.close(),
  };
}
