import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { findUsdc } from "../chains/assets.js";
import { familyOf, findNetwork } from "../chains/index.js";
import { CodedError, ErrorCode } from "../errors.js";
import { formatDecimal } from "../money.js";
import { signerFor, type Runtime } from "../runtime.js";
import { WALLET_UI_TOOL_META } from "../ui/walletUi.js";
import { NO_WALLET_HINT } from "../wallet/loadWallet.js";
import { budgetSummary } from "./budgetSummary.js";
import { BudgetOutput } from "./schemas.js";
import { toolError } from "./toolError.js";

const NetworkBalance = z.object({
  network: z.string().describe("CAIP-2 network id"),
  address: z.string().nullable().describe("The wallet's address on this network (its chain family's key); null without a key for it"),
  name: z.string(),
  symbol: z.string(),
  asset: z.string().nullable(),
  balance: z.string().nullable().describe("Decimal balance, null when it could not be read"),
  balanceAtomic: z.string().nullable(),
  error: z.string().nullable().describe("Why the balance could not be read, e.g. the RPC failed"),
});

export const WalletBalanceOutput = {
  address: z.string().describe("The EVM address, else the first other family's (Solana) when only that key is set"),
  balances: z.array(NetworkBalance),
  budget: BudgetOutput,
};

export function registerWalletBalance(server: McpServer, rt: Runtime): void {
  server.registerTool(
    "wallet_balance",
    {
      title: "Wallet address, USDC balances and budget left",
      description:
        "Show the paying wallet's address, its USDC balance (or the network's default stablecoin) on each enabled network (read on-chain), and how much of the spending budget is left. Costs nothing.",
      outputSchema: WalletBalanceOutput,
      annotations: { readOnlyHint: true, openWorldHint: true },
      _meta: WALLET_UI_TOOL_META,
    },
    async () => {
      try {
        const account = rt.account ?? [...rt.signers.values()][0];
        if (!account) throw new CodedError(ErrorCode.NO_WALLET, `No wallet key is configured. ${NO_WALLET_HINT}`);
        const balances = await Promise.all(rt.config.networks.map((network) => balanceOn(rt, network, signerFor(rt, network)?.address ?? null)));
        const budget = await budgetSummary(rt);
        const lines = balances.map((b) => {
          const where = `${b.name} (${b.network})${b.address && b.address !== account.address ? `, ${b.address}` : ""}`;
          return b.balance !== null ? `${where}: ${b.balance} ${b.symbol}` : `${where}: unavailable (${b.error})`;
        });
        const text = [
          `Wallet ${account.address}`,
          ...lines,
          `Budget: per call ${budget.perCall} USD; session ${budget.session.spent} spent of ${budget.session.limit} USD, ${budget.session.remaining} left.`,
        ].join("\n");
        return { content: [{ type: "text", text }], structuredContent: { address: account.address, balances, budget } };
      } catch (error) {
        return toolError(error);
      }
    },
  );
}

async function balanceOn(rt: Runtime, network: string, owner: string | null): Promise<z.infer<typeof NetworkBalance>> {
  const name = findNetwork(network)?.displayName ?? network;
  const usdc = findUsdc(rt.assets, network);
  const address = owner;
  if (!usdc) {
    return { network, address, name, symbol: "USDC", asset: null, balance: null, balanceAtomic: null, error: "no known USDC contract on this network" };
  }
  if (owner === null) {
    const hint = familyOf(network)?.keyHint ?? "";
    return { network, address, name, symbol: usdc.symbol, asset: usdc.address, balance: null, balanceAtomic: null, error: `no key for this network's chain family. ${hint}` };
  }
  try {
    const atomic = await rt.chain.readBalance(usdc, owner);
    return { network, address, name, symbol: usdc.symbol, asset: usdc.address, balance: formatDecimal(atomic, usdc.decimals), balanceAtomic: atomic.toString(), error: null };
  } catch (error) {
    const rpc = rt.chain.redactedRpcUrl(network);
    return {
      network,
      address,
      name,
      symbol: usdc.symbol,
      asset: usdc.address,
      balance: null,
      balanceAtomic: null,
      error: `RPC ${rpc} failed: ${((error as { shortMessage?: string }).shortMessage ?? (error as Error).message).split("\n")[0]}`,
    };
  }
}
