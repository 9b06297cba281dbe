import { z } from "zod";

/**
 * x402 wire formats (coinbase/x402 specs), v1 and v2. Lenient about keys we do not use,
 * strict about every value that decides what we sign. `accepts` entries are validated one
 * by one (see parsePaymentRequired) so one junk option cannot hide a good one.
 */

const MAX_UINT256 = 2n ** 256n - 1n;

/** An integer amount of atomic units as a decimal string: no sign, no fraction, no hex. */
export const AtomicAmount = z
  .string()
  .regex(/^\d{1,78}$/, "must be a whole number of atomic units written in decimal digits")
  .transform((digits) => BigInt(digits))
  .refine((value) => value > 0n, "must be greater than zero")
  .refine((value) => value <= MAX_UINT256, "is larger than a uint256");

const Identifier = z.string().min(1).max(256);

export const PaymentRequirementsV2Wire = z.looseObject({
  scheme: Identifier,
  network: Identifier,
  amount: AtomicAmount,
  asset: Identifier,
  payTo: Identifier,
  maxTimeoutSeconds: z.number().int(),
  extra: z.record(z.string(), z.unknown()).nullish(),
});

export const PaymentRequirementsV1Wire = z.looseObject({
  scheme: Identifier,
  network: Identifier,
  maxAmountRequired: AtomicAmount,
  asset: Identifier,
  payTo: Identifier,
  maxTimeoutSeconds: z.number().int(),
  resource: z.string().max(8192).optional(),
  description: z.string().max(8192).optional(),
  mimeType: z.string().max(256).optional(),
  extra: z.record(z.string(), z.unknown()).nullish(),
});

/** Bounds the work a hostile server can make us do; real servers offer a handful. */
export const MAX_OPTIONS = 256;

const ResourceInfo = z.looseObject({
  url: z.string().max(8192),
  description: z.string().max(8192).optional(),
  mimeType: z.string().max(256).optional(),
});

export const PaymentRequiredV2Wire = z.looseObject({
  x402Version: z.literal(2),
  error: z.string().max(8192).optional(),
  resource: ResourceInfo.optional(),
  accepts: z.array(z.unknown()).max(MAX_OPTIONS),
  extensions: z.record(z.string(), z.unknown()).optional(),
});

export const PaymentRequiredV1Wire = z.looseObject({
  x402Version: z.literal(1),
  error: z.string().max(8192).optional(),
  accepts: z.array(z.unknown()).max(MAX_OPTIONS),
});

/** Settlement header (`PAYMENT-RESPONSE` v2, `X-PAYMENT-RESPONSE` v1): same shape in both. */
export const SettlementResponseWire = z.looseObject({
  success: z.boolean(),
  transaction: z.string().max(256).optional(),
  network: z.string().max(256).optional(),
  payer: z.string().max(256).optional(),
  errorReason: z.string().max(8192).optional(),
});
export type SettlementResponseWire = z.infer<typeof SettlementResponseWire>;
