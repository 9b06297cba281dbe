import { CodedError, ErrorCode } from "../errors.js";
import { formatUsd } from "../money.js";
import type { BudgetLimits, Usage } from "./types.js";

/** The per-call limit for one call: the configured cap, lowered (never raised) by `max_payment`. */
export function effectivePerCallLimit(configured: bigint, maxPayment: bigint | undefined): bigint {
  return maxPayment !== undefined && maxPayment < configured ? maxPayment : configured;
}

const NOTHING_PAID = "Nothing was paid.";
const NOT_SENT = "This was checked again as the payment was signed (what was spent while it waited counts): it was not sent and nothing was paid.";

/**
 * Checks a price against every cap, given what is already spent. Pure: each store calls it
 * inside its own atomic section, and quote_price calls it to say what would happen.
 * `perCallFromCaller` marks a per-call limit lowered by `max_payment`, for the message;
 * `atSigning` marks the second check, when the payment is signed (its own amount not in `usage`).
 */
export function assertWithinCaps(args: {
  usdMicros: bigint;
  limits: BudgetLimits;
  usage: Usage;
  url: string;
  perCallFromCaller?: boolean;
  atSigning?: boolean;
}): void {
  const { usdMicros: price, limits, usage, url } = args;
  const nothingPaid = args.atSigning ? NOT_SENT : NOTHING_PAID;
  const cost = `${url} costs ${formatUsd(price)} USD`;
  if (price > limits.perCall) {
    throw new CodedError(
      ErrorCode.PRICE_ABOVE_CALL_LIMIT,
      `${cost}; the per-call limit is ${formatUsd(limits.perCall)} USD${args.perCallFromCaller ? " (set by max_payment for this call)" : ""}. ${
        args.perCallFromCaller
          ? "Raise max_payment (up to budget.perCall) to allow it."
          : "Raise budget.perCall in the config (or X402_MAX_PER_CALL) to allow it."
      } ${nothingPaid}`,
      { price: formatUsd(price), limit: formatUsd(limits.perCall) },
    );
  }
  for (const host of limits.hosts) {
    if (host.perCall !== undefined && price > host.perCall) {
      throw new CodedError(
        ErrorCode.HOST_BUDGET_EXCEEDED,
        `${cost}; hosts.limits["${host.pattern}"].perCall is ${formatUsd(host.perCall)} USD. Raise it in the config to allow it. ${nothingPaid}`,
        { price: formatUsd(price), limit: formatUsd(host.perCall), pattern: host.pattern },
      );
    }
  }
  if (usage.session + price > limits.perSession) {
    throw new CodedError(
      ErrorCode.SESSION_BUDGET_EXCEEDED,
      `${cost}, but only ${left(limits.perSession, usage.session)} USD of this session's ${formatUsd(
        limits.perSession,
      )} USD budget is left. Start a new session, or raise budget.perSession in the config (or X402_SESSION_BUDGET). ${nothingPaid}`,
      { price: formatUsd(price), remaining: left(limits.perSession, usage.session), limit: formatUsd(limits.perSession) },
    );
  }
  if (usage.day + price > limits.perDay) {
    throw new CodedError(
      ErrorCode.DAILY_BUDGET_EXCEEDED,
      `${cost}, but only ${left(limits.perDay, usage.day)} USD of the ${formatUsd(
        limits.perDay,
      )} USD daily budget (rolling 24 hours, shared by every server on this ledger) is left. Wait for earlier payments to age out, or raise budget.perDay in the config (or X402_DAILY_BUDGET). ${nothingPaid}`,
      { price: formatUsd(price), remaining: left(limits.perDay, usage.day), limit: formatUsd(limits.perDay) },
    );
  }
  const agent = limits.agent;
  if (agent?.perDay !== undefined && usage.agentDay + price > agent.perDay) {
    throw new CodedError(
      ErrorCode.DAILY_BUDGET_EXCEEDED,
      `${cost}, but only ${left(agent.perDay, usage.agentDay)} USD of agent "${agent.name}"'s ${formatUsd(
        agent.perDay,
      )} USD daily budget (rolling 24 hours) is left. The wallet's owner can raise agents[].budget.perDay in the config. ${nothingPaid}`,
      { price: formatUsd(price), remaining: left(agent.perDay, usage.agentDay), limit: formatUsd(agent.perDay), agent: agent.name },
    );
  }
  for (const host of limits.hosts) {
    const spent = usage.hostsDay.find((h) => h.pattern === host.pattern)?.spent ?? 0n;
    if (host.perDay !== undefined && spent + price > host.perDay) {
      throw new CodedError(
        ErrorCode.HOST_BUDGET_EXCEEDED,
        `${cost}, but only ${left(host.perDay, spent)} USD of the daily ${formatUsd(host.perDay)} USD for hosts matching "${
          host.pattern
        }" is left. Raise hosts.limits["${host.pattern}"].perDay in the config to allow more. ${nothingPaid}`,
        { price: formatUsd(price), remaining: left(host.perDay, spent), limit: formatUsd(host.perDay), pattern: host.pattern },
      );
    }
  }
}

function left(limit: bigint, spent: bigint): string {
  return formatUsd(limit > spent ? limit - spent : 0n);
}
