import type { ChainReader } from "../publicClients.js";

/** The chain's latest block: its number and its timestamp (Unix seconds), the chain's own clock. */
export interface ChainHead {
  number: bigint;
  timestamp: bigint;
}

/** Reads the latest block: expiry is judged by the chain's time, never this machine's clock. */
export async function readChainHead(client: ChainReader): Promise<ChainHead> {
  const block = await client.getBlock({ blockTag: "latest" });
  if (block.number === null) throw new Error("the RPC returned a pending block as the latest");
  return { number: block.number, timestamp: block.timestamp };
}
