import { decodeJsonHeader, PAYMENT_RESPONSE_HEADER, X_PAYMENT_RESPONSE_HEADER } from "./headers.js";
import { SettlementResponseWire } from "./schemas.js";

export type Settlement =
  | { kind: "settled"; transaction: string; network: string | undefined; payer: string | undefined }
  | { kind: "failed"; reason: string }
  | { kind: "missing" }
  | { kind: "unreadable"; reason: string };

const TX_HASH = /^0x[0-9a-fA-F]{64}$/;

/**
 * Reads the server's settlement report after a paid request. A missing or garbled header
 * never fails the call: the content was delivered, and the receipt says `unconfirmed`.
 */
export function parseSettlement(x402Version: 1 | 2, header: (name: string) => string | undefined): Settlement {
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
  if (!s.transaction || !TX_HASH.test(s.transaction)) {
    return { kind: "unreadable", reason: "settlement header has no valid transaction hash" };
  }
  return { kind: "settled", transaction: s.transaction, network: s.network, payer: s.payer };
}
