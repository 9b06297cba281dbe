import type { Address } from "viem";
import { getAddress } from "viem/utils";
import type { AssetInfo, OutgoingTransfer } from "../../types.js";
import type { ChainReader, PublicClients } from "../publicClients.js";
import { readChainHead, type ChainHead } from "./chainHead.js";
import { firstBlockAtOrAfter } from "./firstBlockAtOrAfter.js";
import { transfersFrom } from "./tokenLogs.js";

/**
 * Where the last search of each token and owner ended, per set of clients (one per running
 * server). The background run asks every few minutes for the last day: from the second run
 * on it reads only the blocks since, instead of a binary search and a day of log ranges each
 * time (about 35 reads per token on Base, which a public RPC's rate limit notices). A search
 * starting later than `sinceMs` would find is never one that misses a block: a cursor only
 * moves to a head already searched.
 */
const searchedTo = new WeakMap<PublicClients, Map<string, bigint>>();

/** Blocks searched again below the cursor: a short reorganisation may have replaced them. */
const REORG_MARGIN = 64n;

/** Every Transfer of `asset` out of `owner` in blocks stamped `sinceMs` (the chain's time) or later, with its block's time. */
export async function evmOutgoingTransfers(clients: PublicClients, asset: AssetInfo, owner: string, sinceMs: number): Promise<OutgoingTransfer[]> {
  const client = clients.get(asset.network);
  const head = await readChainHead(client);
  const cursors = searchedTo.get(clients) ?? new Map<string, bigint>();
  searchedTo.set(clients, cursors);
  const key = `${asset.network}:${asset.address.toLowerCase()}:${owner.toLowerCase()}`;
  const since = await firstBlockAtOrAfterCursor(client, BigInt(Math.max(0, Math.floor(sinceMs / 1000))), head, cursors.get(key));
  const logs = await transfersFrom(client, getAddress(asset.address) as Address, getAddress(owner), since, head.number);
  cursors.set(key, head.number);
  const times = new Map<bigint, number>();
  for (const number of new Set(logs.map((l) => l.blockNumber))) times.set(number, Number((await client.getBlock({ blockNumber: number })).timestamp) * 1000);
  return logs.map((log) => ({
    network: asset.network,
    asset: asset.address,
    transaction: log.transaction,
    logIndex: log.logIndex,
    to: log.to,
    amountAtomic: log.value,
    blockAtMs: times.get(log.blockNumber) as number,
  }));
}

/**
 * The first block to search: stamped `seconds` or later, or, once an earlier search reached
 * `cursor`, just past it (less the reorg margin) when that block is itself that recent.
 */
async function firstBlockAtOrAfterCursor(client: ChainReader, seconds: bigint, head: ChainHead, cursor: bigint | undefined): Promise<bigint> {
  if (cursor !== undefined && cursor <= head.number) {
    const resume = cursor > REORG_MARGIN ? cursor - REORG_MARGIN : 0n;
    const block = await client.getBlock({ blockNumber: resume });
    if (block.timestamp >= seconds) return resume;
  }
  return firstBlockAtOrAfter(client, seconds, head);
}
