import { z } from "zod";

/** Output shapes shared by tools. Field names are a public contract. */

export const UsdString = z.string().describe("USD amount as a decimal string");

export const BudgetOutput = z.object({
  perCall: UsdString.describe("Most a single call may pay, in USD"),
  session: z.object({ spent: UsdString, limit: UsdString, remaining: UsdString }),
});
export type BudgetOutput = z.infer<typeof BudgetOutput>;

export const ReceiptOutput = z.object({
  status: z.enum(["settled", "unconfirmed"]),
  amount: z.string(),
  amountAtomic: z.string(),
  asset: z.string(),
  symbol: z.string(),
  network: z.string(),
  payTo: z.string(),
  payer: z.string(),
  transaction: z.string().nullable(),
  explorerUrl: z.string().nullable(),
  scheme: z.string(),
  x402Version: z.union([z.literal(1), z.literal(2)]),
  resource: z.string(),
  paidAt: z.string(),
  note: z.string().optional(),
});
