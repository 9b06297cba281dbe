import { ConfigSchema } from "../config/schema.js";

export const SERVER_NAME = "x402-wallet";

/** The budget variables with the config's defaults, so the pasted block shows what can be tuned. */
export function budgetEnv(): Record<string, string> {
  const { budget } = ConfigSchema.parse({});
  return { X402_MAX_PER_CALL: budget.perCall, X402_SESSION_BUDGET: budget.perSession, X402_DAILY_BUDGET: budget.perDay };
}

/** `["-y", "x402-wallet-mcp"]` on one line, as people write it in these files. */
export function compactArrays(json: string): string {
  return json.replace(/\[\n([^[\]{}]*)\n\s*\]/g, (_, items: string) => `[${items.split(",\n").map((item) => item.trim()).join(", ")}]`);
}
