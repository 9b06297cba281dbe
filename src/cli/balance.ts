import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { familyOf } from "../chains/index.js";
import type { Runtime } from "../runtime.js";
import { registerWalletBalance, WalletBalanceOutput } from "../tools/walletBalance.js";
import { VERSION } from "../version.js";
import { loadRuntime } from "./loadRuntime.js";
import { formatTable, print, printError } from "./output.js";
import { parseCommandArgs } from "./usage.js";

type WalletBalance = z.infer<z.ZodObject<typeof WalletBalanceOutput>>;

/**
 * `x402-wallet-mcp balance`: exactly what the wallet_balance tool shows, as a table. Exit
 * code 1 when there is no key or a network's balance could not be read.
 */
export async function runBalance(args: string[]): Promise<number> {
  const { values } = parseCommandArgs("balance", args, { config: { type: "string" } });
  const rt = await loadRuntime(values.config, { wallet: true });
  let result: CallToolResult;
  try {
    result = await callWalletBalance(rt);
  } finally {
    await rt.close();
  }
  if (result.isError) {
    printError(result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n"));
    return 1;
  }
  const balance = z.object(WalletBalanceOutput).parse(result.structuredContent);
  print(formatBalance(balance));
  return balance.balances.every((b) => b.balance !== null) ? 0 : 1;
}

/** Calls the tool itself, in-process, so the command can never drift from what an agent sees. */
async function callWalletBalance(rt: Runtime): Promise<CallToolResult> {
  const server = new McpServer({ name: "x402-wallet-mcp", version: VERSION });
  registerWalletBalance(server, rt);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "x402-wallet-mcp-cli", version: VERSION });
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    return (await client.callTool({ name: "wallet_balance", arguments: {} })) as CallToolResult;
  } finally {
    await client.close();
  }
}

function walletLabel(network: string | undefined): string {
  return network && familyOf(network)?.namespace === "solana" ? "Solana wallet" : "Wallet";
}

function formatBalance({ address, balances, budget }: WalletBalance): string {
  const networks = balances.map((b) => [
    `${b.name} (${b.network})`,
    b.balance !== null ? `${b.balance} ${b.symbol}` : `unavailable: ${b.error ?? "unknown error"}`,
  ]);
  // Each family's key has its own address; the rows of a family without a key say how to set one.
  const others = [...new Set(balances.map((b) => b.address).filter((a): a is string => a !== null && a !== address))];
  return [
    ...[address, ...others].map((a) => `${walletLabel(balances.find((b) => b.address === a)?.network)} ${a}`),
    "",
    formatTable([["NETWORK", "BALANCE"], ...networks]),
    "",
    formatTable([
      ["BUDGET (USD)", "SPENT", "LIMIT", "LEFT"],
      ["per call", "", budget.perCall, ""],
      ["per session", budget.session.spent, budget.session.limit, budget.session.remaining],
      ["last 24 hours", budget.day.spent, budget.day.limit, budget.day.remaining],
    ]),
    "",
    "A session is one server process; the 24-hour budget is shared by every server on this ledger.",
  ].join("\n");
}
