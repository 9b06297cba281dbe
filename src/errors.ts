/**
 * Stable error codes. Agents and users match on these strings, so they are a public
 * contract: add new ones freely, never rename or repurpose one.
 */
export const ErrorCode = {
  NO_WALLET: "NO_WALLET",
  PRICE_ABOVE_CALL_LIMIT: "PRICE_ABOVE_CALL_LIMIT",
  SESSION_BUDGET_EXCEEDED: "SESSION_BUDGET_EXCEEDED",
  NO_ACCEPTABLE_PAYMENT_OPTION: "NO_ACCEPTABLE_PAYMENT_OPTION",
  INVALID_PAYMENT_REQUIRED: "INVALID_PAYMENT_REQUIRED",
  PAYMENT_REJECTED: "PAYMENT_REJECTED",
  INSUFFICIENT_FUNDS: "INSUFFICIENT_FUNDS",
  HTTP_ERROR: "HTTP_ERROR",
  PRIVATE_ADDRESS_BLOCKED: "PRIVATE_ADDRESS_BLOCKED",
  INVALID_INPUT: "INVALID_INPUT",
  CONFIG_INVALID: "CONFIG_INVALID",
  SIGNING_FAILED: "SIGNING_FAILED",
  DAILY_BUDGET_EXCEEDED: "DAILY_BUDGET_EXCEEDED",
  HOST_NOT_ALLOWED: "HOST_NOT_ALLOWED",
  HOST_BUDGET_EXCEEDED: "HOST_BUDGET_EXCEEDED",
  PAYEE_NOT_ALLOWED: "PAYEE_NOT_ALLOWED",
  APPROVAL_REQUIRED: "APPROVAL_REQUIRED",
  APPROVAL_DENIED: "APPROVAL_DENIED",
  BUDGET_STORE_UNAVAILABLE: "BUDGET_STORE_UNAVAILABLE",
  LEDGER_IMPORT_CONFLICT: "LEDGER_IMPORT_CONFLICT",
  /** The token's allowance for Permit2 does not cover the price: the owner runs `permit2 approve` once. */
  PERMIT2_APPROVAL_REQUIRED: "PERMIT2_APPROVAL_REQUIRED",
  /** The token's on-chain `decimals()` is not what the wallet's table (or the owner's `assets` entry) says: amounts would be mispriced. */
  ASSET_DECIMALS_MISMATCH: "ASSET_DECIMALS_MISMATCH",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error a person or an agent can act on: a stable `code` plus a message that says what to do. */
export class CodedError extends Error {
  readonly code: ErrorCode;
  /** Machine-readable facts about the failure (amounts, limits, the server's reason). */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = "CodedError";
    this.code = code;
    this.details = details;
  }
}

export function isCodedError(error: unknown): error is CodedError {
  return error instanceof CodedError;
}

/** Error text as an agent sees it: `[CODE] message`. */
export function formatError(error: unknown): string {
  if (isCodedError(error)) return `[${error.code}] ${error.message}`;
  const message = error instanceof Error ? error.message : String(error);
  return `[INTERNAL_ERROR] ${message}`;
}
