import type { ChainReader } from "../publicClients.js";
import type { ChainHead } from "./chainHead.js";

/**
 * The first block whose timestamp is at or after `seconds` (the head's number + 1 when none
 * is): a binary search over block timestamps, which only grow, so a log search can start
 * there instead of at genesis. About log2(head) reads.
 */
export async function firstBlockAtOrAfter(client: ChainReader, seconds: bigint, head: ChainHead): Promise<bigint> {
  if (head.timestamp < seconds) return head.number + 1n;
  let low = 0n;
  let high = head.number;
  while (low < high) {
    const middle = (low + high) / 2n;
    const block = await client.getBlock({ blockNumber: middle });
    if (block.timestamp < seconds) low = middle + 1n;
    else high = middle;
  }
  return low;
}
