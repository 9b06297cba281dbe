import type { Hex } from "viem";
import type { PaymentToReconcile, ReconcileFinding } from "../../types.js";
import type { PublicClients } from "../publicClients.js";
import { reconcileEip3009 } from "./reconcileEip3009.js";
import { reconcilePermit2 } from "./reconcilePermit2.js";

/**
 * Picks the scheme's reconciliation by the authorization the ledger recorded: EIP-3009 nonces
 * are 32 bytes of hex, Permit2's (exact and upto) a decimal uint256, as the schemes sign them.
 */
export function reconcileEvmPayment(clients: PublicClients, payment: PaymentToReconcile, timeoutMs: number): Promise<ReconcileFinding> {
  const { nonce } = payment;
  if (nonce !== undefined && /^0x[0-9a-fA-F]{64}$/.test(nonce) && payment.scheme !== "upto") return reconcileEip3009(clients, payment, nonce as Hex, timeoutMs);
  if (nonce !== undefined && /^\d{1,78}$/.test(nonce)) return reconcilePermit2(clients, payment, BigInt(nonce), timeoutMs);
  return Promise.resolve({ status: "open", detail: `its authorization id ${JSON.stringify(nonce ?? null)} is neither an EIP-3009 nor a Permit2 nonce, so the chain cannot be asked about it` });
}
