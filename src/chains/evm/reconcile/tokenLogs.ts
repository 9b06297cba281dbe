import type { Address, Hex } from "viem";
import type { ChainReader } from "../publicClients.js";
import { authorizationUsedEvent, transferEvent } from "../tokenEvents.js";

/** Blocks per eth_getLogs call: within what public RPCs accept. */
const LOG_RANGE = 5_000n;

export interface TokenTransferLog {
  transaction: Hex;
  logIndex: number;
  blockNumber: bigint;
  to: Address;
  value: bigint;
}

/** Every Transfer of `token` out of `from` in blocks [fromBlock, toBlock], oldest first, in ranges an RPC accepts. */
export async function transfersFrom(client: ChainReader, token: Address, from: Address, fromBlock: bigint, toBlock: bigint): Promise<TokenTransferLog[]> {
  const found: TokenTransferLog[] = [];
  for (let start = fromBlock; start <= toBlock; start += LOG_RANGE) {
    const end = start + LOG_RANGE - 1n < toBlock ? start + LOG_RANGE - 1n : toBlock;
    const logs = await client.getLogs({ address: token, event: transferEvent, args: { from }, fromBlock: start, toBlock: end, strict: true });
    for (const log of logs) {
      if (log.transactionHash === null || log.logIndex === null || log.blockNumber === null) continue;
      found.push({ transaction: log.transactionHash, logIndex: log.logIndex, blockNumber: log.blockNumber, to: log.args.to, value: log.args.value });
    }
  }
  return found;
}

/** The transaction that used EIP-3009 authorization `nonce` of `authorizer` on `token` in blocks [fromBlock, toBlock], if any. */
export async function authorizationUseIn(client: ChainReader, token: Address, authorizer: Address, nonce: Hex, fromBlock: bigint, toBlock: bigint): Promise<Hex | undefined> {
  for (let start = fromBlock; start <= toBlock; start += LOG_RANGE) {
    const end = start + LOG_RANGE - 1n < toBlock ? start + LOG_RANGE - 1n : toBlock;
    const logs = await client.getLogs({ address: token, event: authorizationUsedEvent, args: { authorizer, nonce }, fromBlock: start, toBlock: end });
    const hash = logs.find((log) => log.transactionHash !== null)?.transactionHash;
    if (hash) return hash;
  }
  return undefined;
}
