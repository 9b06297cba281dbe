import { z } from "zod";

/** Output shapes shared by tools. Field names are a public contract. */

export const UsdString = z.string().describe("USD amount as a decimal string");

export const BudgetOutput = z.object({
  perCall: UsdString.describe("Most a single call may pay, in USD"),
  session: z.object({ spent: UsdString, limit: UsdString, remaining: UsdString }),
  day: z
    .object({ spent: UsdString, limit: UsdString, remaining: UsdString })
    .describe("The rolling 24 h budget shared by every server on this ledger"),
});
export type BudgetOutput = z.infer<typeof BudgetOutput>;
