import { CodedError, ErrorCode } from "../errors.js";
import { formatUsd } from "../money.js";

/** The per-call limit for one call: the configured cap, lowered (never raised) by `max_payment`. */
export function effectivePerCallLimit(configured: bigint, maxPayment: bigint | undefined): bigint {
  return maxPayment !== undefined && maxPayment < configured ? maxPayment : configured;
}

export function assertWithinCallLimit(
  usdMicros: bigint,
  limit: { configured: bigint; effective: bigint },
  url: string,
): void {
  if (usdMicros <= limit.effective) return;
  const fromCaller = limit.effective < limit.configured;
  throw new CodedError(
    ErrorCode.PRICE_ABOVE_CALL_LIMIT,
    `${url} costs ${formatUsd(usdMicros)} USD; the per-call limit is ${formatUsd(limit.effective)} USD${
      fromCaller ? " (set by max_payment for this call)" : ""
    }. ${
      fromCaller
        ? "Raise max_payment (up to budget.perCall) to allow it."
        : "Raise budget.perCall in the config (or X402_MAX_PER_CALL) to allow it."
    } Nothing was paid.`,
    { price: formatUsd(usdMicros), limit: formatUsd(limit.effective) },
  );
}

export function sessionBudgetExceeded(usdMicros: bigint, spent: bigint, limit: bigint, url: string): CodedError {
  const remaining = limit > spent ? limit - spent : 0n;
  return new CodedError(
    ErrorCode.SESSION_BUDGET_EXCEEDED,
    `${url} costs ${formatUsd(usdMicros)} USD, but only ${formatUsd(remaining)} USD of this session's ${formatUsd(
      limit,
    )} USD budget is left. Start a new session, or raise budget.perSession in the config (or X402_SESSION_BUDGET). Nothing was paid.`,
    { price: formatUsd(usdMicros), remaining: formatUsd(remaining), limit: formatUsd(limit) },
  );
}
