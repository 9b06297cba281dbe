import { formatUsd } from "../money.js";
import type { Runtime } from "../runtime.js";
import type { BudgetOutput } from "./schemas.js";

export async function budgetSummary(rt: Runtime): Promise<BudgetOutput> {
  const { spent } = await rt.budget.sessionUsage(rt.sessionId);
  const limit = rt.limits.perSession;
  return {
    perCall: formatUsd(rt.limits.perCall),
    session: { spent: formatUsd(spent), limit: formatUsd(limit), remaining: formatUsd(limit > spent ? limit - spent : 0n) },
  };
}
