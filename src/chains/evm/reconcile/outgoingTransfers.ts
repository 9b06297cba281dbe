import type { Address } from "viem";
import { getAddress } from "viem/utils";
import type { AssetInfo, OutgoingTransfer } from "../../types.js";
import type { PublicClients } from "../publicClients.js";
import { readChainHead } from "./chainHead.js";
import { firstBlockAtOrAfter } from "./firstBlockAtOrAfter.js";
import { transfersFrom } from "./tokenLogs.js";

/** Every Transfer of `asset` out of `owner` in blocks stamped `sinceMs` (the chain's time) or later, with its block's time. */
export async function evmOutgoingTransfers(clients: PublicClients, asset: AssetInfo, owner: string, sinceMs: number): Promise<OutgoingTransfer[]> {
  const client = clients.get(asset.network);
  const head = await readChainHead(client);
  const from = await firstBlockAtOrAfter(client, BigInt(Math.max(0, Math.floor(sinceMs / 1000))), head);
  const logs = await transfersFrom(client, getAddress(asset.address) as Address, getAddress(owner), from, head.number);
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
