import { familyOf } from "../chains/index.js";
import { decodeJsonHeader, PAYMENT_RESPONSE_HEADER, X_PAYMENT_RESPONSE_HEADER } from "./headers.js";
import { SettlementResponseWire } from "./schemas.js";

export type Settlement =
  | {
      kind: "settled";
      /** Null only when the server took nothing (`amount` 0): an upto settlement of 0 sends no transaction. */
      transaction: string | null;
      /** What the server says it took, in atomic units (`upto`); undefined when it does not say. */
      amount: bigint | undefined;
      network: string | undefined;
      payer: string | undefined;
    }
  | { kind: "failed"; reason: string }
  | { kind: "missing" }
  | { kind: "unreadable"; reason: string };

const TX_HASH = /^0x[0-9a-fA-F]{64}$/;
const ATOMIC = /^\d{1,78}$/;

/**
 * Reads the server's settlement report after a paid request. A missing or garbled header
 * never fails the call: the content was delivered, and the receipt says `unconfirmed`. The
 * transaction is written as the paid network's family writes its ids (Solana: a base58
 * signature); without `network`, as an EVM hash.
 */
export function parseSettlement(x402Version: 1 | 2, header: (name: string) => string | undefined, network?: string): Settlement {
  const raw = header(x402Version === 2 ? PAYMENT_RESPONSE_HEADER : X_PAYMENT_RESPONSE_HEADER) ??
    header(x402Version === 2 ? X_PAYMENT_RESPONSE_HEADER : PAYMENT_RESPONSE_HEADER);
  if (raw === undefined) return { kind: "missing" };
  let decoded: unknown;
  try {
    decoded = decodeJsonHeader(raw);
  } catch (error) {
    return { kind: "unreadable", reason: `settlement header: ${(error as Error).message}` };
  }
  const parsed = SettlementResponseWire.safeParse(decoded);
  if (!parsed.success) return { kind: "unreadable", reason: "settlement header has an unexpected shape" };
  const s = parsed.data;
  if (!s.success) return { kind: "failed", reason: s.errorReason ?? "the server reported that settlement failed" };
  const amount = settledAmount(s);
  if (typeof amount === "string") return { kind: "unreadable", reason: amount };
  const nothingTaken = amount === 0n && (s.transaction === undefined || s.transaction === "");
  const isTransactionId = (network === undefined ? undefined : familyOf(network)?.isTransactionId) ?? ((t: string) => TX_HASH.test(t));
  if (!nothingTaken && (!s.transaction || !isTransactionId(s.transaction))) {
    return { kind: "unreadable", reason: "settlement header has no valid transaction hash" };
  }
  return { kind: "settled", transaction: nothingTaken ? null : s.transaction!, amount, network: s.network, payer: s.payer };
}

/**
 * The amount taken: `amount` as the official packages send it, or `settledAmount` as the upto
 * spec names it. A string is why it cannot be read (two different values are not a report).
 */
function settledAmount(s: Record<string, unknown>): bigint | undefined | string {
  const values = [s.amount, s.settledAmount].filter((v) => v !== undefined);
  if (values.length === 0) return undefined;
  if (values.some((v) => typeof v !== "string" || !ATOMIC.test(v))) {
    return "settlement header's amount is not a whole number of atomic units written in decimal digits";
  }
  const [first, second] = values.map((v) => BigInt(v as string));
  if (second !== undefined && second !== first) return `settlement header reports two amounts taken (amount ${first}, settledAmount ${second})`;
  return first;
}
