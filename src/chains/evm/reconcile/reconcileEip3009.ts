import type { Address, Hex } from "viem";
import type { PaymentToReconcile, ReconcileFinding } from "../../types.js";
import type { PublicClients } from "../publicClients.js";
import { verifySettlementOnChain } from "../verifySettlement.js";
import { readChainHead } from "./chainHead.js";
import { searchStart } from "./searchStart.js";
import { authorizationUseIn } from "./tokenLogs.js";

const authorizationStateAbi = [
  {
    type: "function",
    name: "authorizationState",
    stateMutability: "view",
    inputs: [
      { name: "authorizer", type: "address" },
      { name: "nonce", type: "bytes32" },
    ],
    outputs: [{ type: "bool" }],
  },
] as const;

/**
 * An EIP-3009 authorization: the token's `authorizationState(payer, nonce)`. Used: its
 * AuthorizationUsed log names the transaction, which must move exactly what was signed to the
 * payee. Unused with the chain's time at or past validBefore (the token refuses it from then
 * on): expired. `timeoutMs` bounds the read of the transaction's receipt.
 */
export async function reconcileEip3009(clients: PublicClients, payment: PaymentToReconcile, nonce: Hex, timeoutMs: number): Promise<ReconcileFinding> {
  const client = clients.get(payment.network);
  const token = payment.asset as Address;
  const payer = payment.payer as Address;
  const [used, head] = await Promise.all([
    client.readContract({ address: token, abi: authorizationStateAbi, functionName: "authorizationState", args: [payer, nonce] }),
    readChainHead(client),
  ]);
  if (!used) {
    if (head.timestamp >= BigInt(payment.validBefore)) {
      return {
        status: "expired",
        reason: `its EIP-3009 authorization (nonce ${nonce}) is unused on-chain and expired: the chain's time at block ${head.number} (${isoOf(head.timestamp)}) is past its validBefore (${isoOf(BigInt(payment.validBefore))})`,
      };
    }
    return { status: "open", detail: `its authorization is unused and can still be settled until ${isoOf(BigInt(payment.validBefore))}` };
  }
  const transaction = await authorizationUseIn(client, token, payer, nonce, await searchStart(client, payment.signedAtMs, head), head.number);
  if (!transaction) return { status: "open", detail: `its authorization is used on-chain, but no AuthorizationUsed log of it was found (canceled, or settled before the blocks searched)` };
  const verification = await verifySettlementOnChain(
    clients,
    { network: payment.network, transaction, asset: payment.asset, from: payment.payer, to: payment.payTo, amount: payment.amountAtomic, authorization: { kind: "eip3009", nonce } },
    timeoutMs,
  );
  if (verification.status === "verified") return { status: "settled", transaction, amountAtomic: payment.amountAtomic };
  if (verification.status === "mismatch") return { status: "mismatch", transaction, detail: verification.detail };
  return { status: "open", detail: verification.detail };
}

export function isoOf(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}
