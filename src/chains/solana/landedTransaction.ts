import { signature as toSignature, type Rpc, type SolanaRpcApi } from "@solana/kit";
import type { ExpectedSettlement, Verification } from "../types.js";
import { verifyTokenDeltas, type TokenBalanceEntry } from "./verifySettlement.js";

/** What the settlement check reads of a landed transaction: its signatures and its effects. */
export interface LandedTransaction {
  transaction: { signatures: readonly string[] };
  meta: {
    err: unknown;
    preTokenBalances?: readonly RpcTokenBalance[] | undefined;
    postTokenBalances?: readonly RpcTokenBalance[] | undefined;
  } | null;
}

interface RpcTokenBalance {
  accountIndex: number;
  mint: string;
  owner?: string;
  uiTokenAmount: { amount: string };
}

/** A transaction by its id (its first signature) at confirmed commitment, or null when the chain has none. */
export async function readLandedTransaction(rpc: Rpc<SolanaRpcApi>, id: string): Promise<LandedTransaction | null> {
  return await rpc.getTransaction(toSignature(id), { encoding: "json", maxSupportedTransactionVersion: 0, commitment: "confirmed" }).send();
}

/** Whether a landed transaction settles exactly what was signed: it succeeded, carries our signature and moved the amount. */
export function checkLandedTransaction(expected: ExpectedSettlement, tx: LandedTransaction): Verification {
  if (!tx.meta) return { status: "unknown", detail: "the RPC returned the transaction without its effects (meta)" };
  if (tx.meta.err) return { status: "mismatch", detail: `transaction ${expected.transaction} failed on-chain: ${JSON.stringify(tx.meta.err)}` };
  return verifyTokenDeltas(expected, tx.transaction.signatures, entries(tx.meta.preTokenBalances), entries(tx.meta.postTokenBalances));
}

/** How each owner's balance of `mint` changed across the transaction's token accounts. */
export function tokenBalanceChanges(mint: string, tx: LandedTransaction): Map<string, bigint> {
  const changes = new Map<string, bigint>();
  const add = (balances: readonly RpcTokenBalance[] | undefined, sign: bigint) => {
    for (const b of balances ?? []) if (b.mint === mint && b.owner !== undefined) changes.set(b.owner, (changes.get(b.owner) ?? 0n) + sign * BigInt(b.uiTokenAmount.amount));
  };
  add(tx.meta?.preTokenBalances, -1n);
  add(tx.meta?.postTokenBalances, 1n);
  return changes;
}

function entries(balances: readonly RpcTokenBalance[] | undefined): TokenBalanceEntry[] {
  return (balances ?? []).map((b) => ({ accountIndex: b.accountIndex, mint: b.mint, owner: b.owner, amount: BigInt(b.uiTokenAmount.amount) }));
}
