import { formatUsd } from "../money.js";
import type { Runtime } from "../runtime.js";
import type { BudgetOutput } from "./schemas.js";

/** The `budget` object every tool returns: what is left of each wallet-wide cap. */
export async function budgetSummary(rt: Runtime): Promise<BudgetOutput> {
  const limits = rt.limitsFor("");
  const usage = await rt.budget.usage({ sessionId: rt.sessionId, hostPatterns: [], agent: rt.agent?.name });
  const view = (spent: bigint, limit: bigint) => ({
    spent: formatUsd(spent),
    limit: formatUsd(limit),
    remaining: formatUsd(limit > spent ? limit - spent : 0n),
  });
  return {
    perCall: formatUsd(limits.perCall),
    session: view(usage.session, limits.perSession),
    day: view(usage.day, limits.perDay),
  };
}

/**
 * The `budget` object when the store did not answer just after a call paid: the limits, with
 * what was spent and what is left given as "unknown". A paid answer is never withheld for it.
 */
export function unknownBudget(rt: Runtime): BudgetOutput {
  const limits = rt.limitsFor("");
  const view = (limit: bigint) => ({ spent: "unknown", limit: formatUsd(limit), remaining: "unknown" });
  return { perCall: formatUsd(limits.perCall), session: view(limits.perSession), day: view(limits.perDay) };
}
