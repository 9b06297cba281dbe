import { redactRpcUrl } from "../redactRpcUrl.js";
import type { ChainReads } from "../types.js";
import { findSolanaNetwork } from "./networks.js";

type RpcReads = typeof import("./rpcReads.js");

/**
 * The Solana family's chain reads, with @solana/kit loaded on the first read: a wallet with
 * a Solana network enabled starts as fast as one without.
 */
export function solanaReads(rpc: Readonly<Record<string, string>>, timeoutMs: number): ChainReads {
  let loaded: Promise<ChainReads> | undefined;
  const reads = (): Promise<ChainReads> => (loaded ??= import("./rpcReads.js").then((m: RpcReads) => m.solanaRpcReads(rpc, timeoutMs)));
  return {
    readBalance: async (asset, owner) => (await reads()).readBalance(asset, owner),
    readAllowance: async (asset, owner, spender) => (await reads()).readAllowance(asset, owner, spender),
    readEip2612: async (asset, owner) => (await reads()).readEip2612(asset, owner),
    readDecimals: async (asset) => (await reads()).readDecimals(asset),
    readLatestBlockhash: async (network) => (await reads()).readLatestBlockhash!(network),
    readBlockHeight: async (network) => (await reads()).readBlockHeight!(network),
    readAccountOwner: async (network, account) => (await reads()).readAccountOwner!(network, account),
    verifySettlement: async (expected, waitMs) => (await reads()).verifySettlement(expected, waitMs),
    reconcilePayment: async (payment) => (await reads()).reconcilePayment!(payment),
    outgoingTransfers: async (asset, owner, sinceMs) => (await reads()).outgoingTransfers!(asset, owner, sinceMs),
    servedNetwork: async (network) => (await reads()).servedNetwork(network),
    redactedRpcUrl: (network) => {
      const url = rpc[network] ?? findSolanaNetwork(network)?.defaultRpc;
      return url === undefined ? undefined : redactRpcUrl(url);
    },
    close: async () => (loaded ? (await loaded).close() : undefined),
  };
}
