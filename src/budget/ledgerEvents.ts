import { z } from "zod";
import { ReceiptSchema } from "../payment/receipt.js";
import type { ExternalTransfer, ReserveRequest } from "./types.js";

/**
 * The ledger's line format (one JSON object per line, append-only). A payment is a
 * `reserve` line, then `sign` before its header is sent, then `outcome` (possibly
 * several, e.g. settled then verified) or `release` when nothing was signed. An `upto`
 * payment whose transfer was read on-chain adds `actual`: from then on it counts what was
 * taken instead of the maximum it signed. Reconciliation with the chain adds `expired` when
 * the chain proves a signed authorization can no longer move money (it expired unused): from
 * then on the payment counts nothing.
 * Integers that can exceed 2^53 are decimal strings.
 *
 * A payment counts in the rolling 24 h from its `sign` line, which may come long after its
 * `reserve` (an approval wait). So the sign line repeats what the caps need (amount,
 * session, host, agent): a process that reads only the last 24 h of the ledger may never
 * see the reserve line. Older ledgers' sign lines lack them; see SpendWindow.
 */
const Integer = z.string().regex(/^\d{1,78}$/);

export const ReserveEvent = z.object({
  type: z.literal("reserve"),
  id: z.string(),
  at: z.number(),
  sessionId: z.string(),
  agent: z.string().optional(),
  url: z.string(),
  host: z.string(),
  network: z.string(),
  asset: z.string(),
  amountAtomic: Integer,
  usdMicros: Integer,
  payTo: z.string(),
});

export const SignEvent = z.object({
  type: z.literal("sign"),
  id: z.string(),
  at: z.number(),
  payer: z.string(),
  validBefore: z.number(),
  nonce: z.string().optional(),
  /** Solana: the signed transaction can land up to this block height (its blockhash's expiry). */
  lastValidBlockHeight: Integer.optional(),
  /** The payment-identifier id sent with the header, when the server offered the extension. */
  paymentId: z.string().optional(),
  usdMicros: Integer.optional(),
  sessionId: z.string().optional(),
  host: z.string().optional(),
  agent: z.string().optional(),
});

export const OutcomeEvent = z.object({
  type: z.literal("outcome"),
  id: z.string(),
  at: z.number(),
  status: z.enum(["settled", "unconfirmed", "verified", "mismatch", "rejected"]),
  reason: z.string().optional(),
  receipt: ReceiptSchema,
});

export const ReleaseEvent = z.object({ type: z.literal("release"), id: z.string(), at: z.number() });

/** What a signed payment counts from now on (USD micros, rounded up); only ever lowers it. */
export const ActualEvent = z.object({ type: z.literal("actual"), id: z.string(), at: z.number(), usdMicros: Integer });

/** The chain proves this signed payment moved no money and never can; `reason` says how (shown to the person). */
export const ExpiredEvent = z.object({ type: z.literal("expired"), id: z.string(), at: z.number(), reason: z.string() });

/**
 * An outgoing transfer from the wallet no ledger entry explains. `id` is the transfer's own
 * (network, transaction, log index), so recording it twice counts it once.
 */
export const ExternalEvent = z.object({
  type: z.literal("external"),
  id: z.string(),
  at: z.number(),
  network: z.string(),
  asset: z.string(),
  transaction: z.string(),
  to: z.string(),
  amountAtomic: Integer,
  usdMicros: Integer,
  /** When the chain included it (ms, the block's timestamp). */
  blockAt: z.number(),
});

export const LedgerEvent = z.discriminatedUnion("type", [ReserveEvent, SignEvent, OutcomeEvent, ReleaseEvent, ActualEvent, ExpiredEvent, ExternalEvent]);
export type LedgerEvent = z.infer<typeof LedgerEvent>;
export type ReserveEvent = z.infer<typeof ReserveEvent>;
export type ExternalEvent = z.infer<typeof ExternalEvent>;

/** Parses one line; null for a line that is torn or not ours (reported by the caller, never fatal). */
export function parseLedgerLine(line: string): LedgerEvent | null {
  try {
    const parsed = LedgerEvent.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A reservation's ledger line, less its time: each store stamps it with its own clock (Redis: Redis' own). */
export function reserveEventOf(id: string, request: ReserveRequest): Omit<ReserveEvent, "at"> {
  return {
    type: "reserve",
    id,
    sessionId: request.sessionId,
    ...(request.meta.agent !== undefined ? { agent: request.meta.agent } : {}),
    url: request.meta.url,
    host: request.meta.host,
    network: request.meta.network,
    asset: request.meta.asset,
    amountAtomic: request.meta.amountAtomic.toString(),
    usdMicros: request.usdMicros.toString(),
    payTo: request.meta.payTo,
  };
}

/** A transfer from the wallet that no payment explains, as its ledger line, less its time. */
export function externalEventOf(transfer: ExternalTransfer): Omit<ExternalEvent, "at"> {
  return {
    type: "external",
    id: transfer.id,
    network: transfer.network,
    asset: transfer.asset,
    transaction: transfer.transaction,
    to: transfer.to,
    amountAtomic: transfer.amountAtomic.toString(),
    usdMicros: transfer.usdMicros.toString(),
    blockAt: transfer.blockAt,
  };
}
