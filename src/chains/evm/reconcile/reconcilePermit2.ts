import type { Address } from "viem";
import { getAddress } from "viem/utils";
import type { PaymentToReconcile, ReconcileFinding } from "../../types.js";
import { PERMIT2_ADDRESS, X402_UPTO_PERMIT2_PROXY } from "../permit2/constants.js";
import { decodeProxySettle } from "../permit2/decodeProxySettle.js";
import type { PublicClients } from "../publicClients.js";
import { verifySettlementOnChain } from "../verifySettlement.js";
import { readChainHead } from "./chainHead.js";
import { isoOf } from "./reconcileEip3009.js";
import { searchStart } from "./searchStart.js";
import { transfersFrom } from "./tokenLogs.js";

const nonceBitmapAbi = [
  {
    type: "function",
    name: "nonceBitmap",
    stateMutability: "view",
    inputs: [
      { name: "owner", type: "address" },
      { name: "wordPos", type: "uint256" },
    ],
    outputs: [{ type: "uint256" }],
  },
] as const;

/**
 * A Permit2 signature transfer (exact or upto): bit `nonce & 255` of Permit2's
 * `nonceBitmap(payer, nonce >> 8)`. Unused with the chain's time past the deadline (Permit2
 * refuses it from then on): expired. Used: Permit2 emits nothing per nonce, so the payer's
 * Transfers of the token since its signing are read, and the one whose transaction is a call
 * to x402's proxy settling this owner's nonce is it; upto's amount is what that call moved
 * (at most the maximum signed), the proxy being the spender the permit was signed for.
 */
export async function reconcilePermit2(clients: PublicClients, payment: PaymentToReconcile, nonce: bigint, timeoutMs: number): Promise<ReconcileFinding> {
  const client = clients.get(payment.network);
  const payer = getAddress(payment.payer);
  const [bitmap, head] = await Promise.all([
    client.readContract({ address: PERMIT2_ADDRESS, abi: nonceBitmapAbi, functionName: "nonceBitmap", args: [payer, nonce >> 8n] }),
    readChainHead(client),
  ]);
  if (((bitmap >> (nonce & 255n)) & 1n) === 0n) {
    if (head.timestamp > BigInt(payment.validBefore)) {
      return {
        status: "expired",
        reason: `its Permit2 nonce ${nonce} is unused on-chain and expired: the chain's time at block ${head.number} (${isoOf(head.timestamp)}) is past its deadline (${isoOf(BigInt(payment.validBefore))})`,
      };
    }
    return { status: "open", detail: `its Permit2 nonce is unused and can still be settled until ${isoOf(BigInt(payment.validBefore))}` };
  }
  const token = getAddress(payment.asset) as Address;
  const transfers = await transfersFrom(client, token, payer, await searchStart(client, payment.signedAtMs, head), head.number);
  for (const transaction of new Set(transfers.filter((t) => t.to === getAddress(payment.payTo)).map((t) => t.transaction))) {
    const settled = decodeProxySettle(await client.getTransaction({ hash: transaction }));
    if (typeof settled === "string" || settled.owner !== payer || settled.nonce !== nonce) continue;
    if (settled.amount > payment.amountAtomic) return { status: "mismatch", transaction, detail: `it moved ${settled.amount}, more than the ${payment.amountAtomic} signed` };
    const verification = await verifySettlementOnChain(
      clients,
      { network: payment.network, transaction, asset: token, from: payer, to: payment.payTo, amount: settled.amount, authorization: { kind: "permit2", nonce: nonce.toString() } },
      timeoutMs,
    );
    if (verification.status === "verified") {
      // Permit2 binds the signature to its spender, the proxy calling it: a settlement by the
      // upto proxy proves an upto permit, even when no receipt recorded the scheme (a crash).
      if (settled.proxy !== X402_UPTO_PERMIT2_PROXY && settled.amount !== payment.amountAtomic) {
        return { status: "mismatch", transaction, detail: `it moved ${settled.amount}, not the ${payment.amountAtomic} signed` };
      }
      return { status: "settled", transaction, amountAtomic: settled.amount };
    }
    if (verification.status === "mismatch") return { status: "mismatch", transaction, detail: verification.detail };
    return { status: "open", detail: verification.detail };
  }
  return { status: "open", detail: `its Permit2 nonce is used on-chain, but no settlement of it by x402's proxies was found (the nonce invalidated, or settled before the blocks searched)` };
}
