import { address, type Rpc, type Signature, type SolanaRpcApi } from "@solana/kit";
import { findAssociatedTokenPda, TOKEN_PROGRAM_ADDRESS } from "@solana-program/token";

/** Signatures per getSignaturesForAddress page: the most a node gives. */
const PAGE = 1000;
/** Pages read at most: a history longer than this is not walked to its end. */
export const MAX_LISTED = PAGE * 10;

/** A transaction that loaded the token account, as getSignaturesForAddress lists it. */
export interface ListedTransaction {
  /** The transaction's id, its first signature. */
  id: string;
  /** The block's time (Unix seconds), or null where the node does not know it. */
  blockTime: bigint | null;
  failed: boolean;
}

/**
 * Visits, newest first, the transactions loading `owner`'s token account of `mint` (its
 * associated account under the SPL Token program, the one payments use) in blocks stamped
 * `notBefore` or later, until `visit` returns true. "complete": every one was visited;
 * "stopped": `visit` stopped it; "incomplete": more than {@link MAX_LISTED} were listed.
 */
export async function walkTokenAccountHistory(
  rpc: Rpc<SolanaRpcApi>,
  mint: string,
  owner: string,
  notBefore: bigint,
  visit: (listed: ListedTransaction) => Promise<boolean>,
): Promise<"complete" | "stopped" | "incomplete"> {
  const [account] = await findAssociatedTokenPda({ mint: address(mint), owner: address(owner), tokenProgram: TOKEN_PROGRAM_ADDRESS });
  let before: Signature | undefined;
  for (let seen = 0; seen < MAX_LISTED; seen += PAGE) {
    const page = await rpc.getSignaturesForAddress(account, { commitment: "confirmed", limit: PAGE, ...(before ? { before } : {}) }).send();
    for (const item of page) {
      if (item.blockTime !== null && item.blockTime < notBefore) return "complete";
      if (await visit({ id: item.signature, blockTime: item.blockTime, failed: item.err !== null })) return "stopped";
    }
    if (page.length < PAGE) return "complete";
    before = page.at(-1)!.signature;
  }
  return "incomplete";
}
