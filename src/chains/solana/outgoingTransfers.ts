import type { Rpc, SolanaRpcApi } from "@solana/kit";
import type { AssetInfo, OutgoingTransfer } from "../types.js";
import { readLandedTransaction, tokenBalanceChanges } from "./landedTransaction.js";
import { MAX_LISTED, walkTokenAccountHistory } from "./tokenAccountHistory.js";

/**
 * Every transaction since `sinceMs` (the chain's block time) that lowered `owner`'s balance of
 * `asset` in its token account, read from the transaction's token balances before and after
 * (whatever instruction moved it: Transfer, TransferChecked, a burn): one transfer per
 * transaction, to the owner whose balance of the mint rose the most. Failed transactions
 * moved nothing and are skipped.
 */
export async function solanaOutgoingTransfers(rpc: Rpc<SolanaRpcApi>, asset: AssetInfo, owner: string, sinceMs: number): Promise<OutgoingTransfer[]> {
  const transfers: OutgoingTransfer[] = [];
  const walk = await walkTokenAccountHistory(rpc, asset.address, owner, BigInt(Math.max(0, Math.floor(sinceMs / 1000))), async ({ id, blockTime, failed }) => {
    if (failed) return false;
    const tx = await readLandedTransaction(rpc, id);
    if (!tx?.meta) throw new Error(`the RPC lists transaction ${id} but does not return it with its effects`);
    const changes = tokenBalanceChanges(asset.address, tx);
    const out = -(changes.get(owner) ?? 0n);
    if (out <= 0n) return false;
    const [to] = [...changes].filter(([, change]) => change > 0n).sort(([, a], [, b]) => (a > b ? -1 : a < b ? 1 : 0))[0] ?? ["(nobody: burned)"];
    transfers.push({ network: asset.network, asset: asset.address, transaction: id, logIndex: 0, to, amountAtomic: out, blockAtMs: Number(blockTime ?? 0n) * 1000 });
    return false;
  });
  if (walk === "incomplete") throw new Error(`more than ${MAX_LISTED} transactions of the wallet's ${asset.symbol} account since ${new Date(sinceMs).toISOString()}; not all could be read`);
  return transfers;
}
