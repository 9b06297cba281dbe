import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { formatUsd, parseUsd } from "../money.js";
import type { Runtime } from "../runtime.js";
import type { WalletTools } from "./walletTools.js";

/** What the dashboard page draws: the two tools' structured results, and per agent (a fleet) its last 24 h. */
export interface DashboardState {
  wallet: unknown;
  walletError: string | null;
  history: unknown;
  historyError: string | null;
  agents: { name: string; spent: string; limit: string; remaining: string }[];
  updatedAt: string;
}

/** Balances are read on-chain: at most this often, so a page polling every 2 s does not poll the RPC. */
const BALANCE_TTL_MS = 10_000;

/** Builds the state on each request (the ledger is read live); the balance is cached a few seconds, and read again when a payment was added. */
export function dashboardStateSource(rt: Runtime, tools: WalletTools): () => Promise<DashboardState> {
  let balance: { result: CallToolResult; at: number; payments: number } | undefined;
  return async () => {
    const history = await tools.call("spending_history", { limit: 50 });
    const payments = historyCount(history);
    if (!balance || Date.now() - balance.at > BALANCE_TTL_MS || balance.payments !== payments) {
      balance = { result: await tools.call("wallet_balance", {}), at: Date.now(), payments };
    }
    return {
      wallet: balance.result.isError ? null : balance.result.structuredContent,
      walletError: balance.result.isError ? textOf(balance.result) : null,
      history: history.isError ? null : history.structuredContent,
      historyError: history.isError ? textOf(history) : null,
      agents: await agentDays(rt),
      updatedAt: new Date().toISOString(),
    };
  };
}

function historyCount(result: CallToolResult): number {
  const totals = (result.structuredContent as { totals?: { byDay?: { payments: number }[] } } | undefined)?.totals?.byDay ?? [];
  return totals.reduce((n, d) => n + d.payments, 0);
}

/** A fleet's agents (HTTP mode), each with what it signed in the rolling 24 h against its own daily cap (or the wallet's). */
async function agentDays(rt: Runtime): Promise<DashboardState["agents"]> {
  const walletDay = rt.limitsFor("").perDay;
  return Promise.all(
    rt.config.agents.map(async (agent) => {
      const usage = await rt.budget.usage({ sessionId: "", hostPatterns: [], agent: agent.name });
      const limit = agent.budget.perDay === undefined ? walletDay : parseUsd(agent.budget.perDay);
      return { name: agent.name, spent: formatUsd(usage.agentDay), limit: formatUsd(limit), remaining: formatUsd(limit > usage.agentDay ? limit - usage.agentDay : 0n) };
    }),
  );
}

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}
