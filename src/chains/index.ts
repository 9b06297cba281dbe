import type { PaymentOption } from "../x402/types.js";
import { evmFamily } from "./evm/index.js";
import { solanaFamily } from "./solana/index.js";
import type { ChainFamily, ChainReads, NetworkInfo, PaymentScheme } from "./types.js";

/** Every chain family this wallet can pay on. Another family is one folder and one entry here. */
export const CHAIN_FAMILIES: readonly ChainFamily[] = [evmFamily, solanaFamily];

/** Every scheme this wallet can sign, across families. */
export const SCHEMES: readonly PaymentScheme[] = CHAIN_FAMILIES.flatMap((f) => f.schemes);

/** The family of a CAIP-2 network id, by its namespace (`eip155:8453` → EVM). */
export function familyOf(caip2: string): ChainFamily | undefined {
  const namespace = caip2.slice(0, caip2.indexOf(":"));
  return CHAIN_FAMILIES.find((f) => f.namespace === namespace);
}

export function findScheme(option: PaymentOption): PaymentScheme | undefined {
  return familyOf(option.network)?.schemes.find((s) => s.handles(option));
}

export function findNetwork(caip2: string): NetworkInfo | undefined {
  return familyOf(caip2)?.networks.find((n) => n.caip2 === caip2);
}

/**
 * Maps a network as a server wrote it (v2 CAIP-2 `eip155:84532`, or a v1 name such as
 * `base-sepolia`) to CAIP-2. Unknown v1 names are returned as given, prefixed so they can
 * never collide with a configured CAIP-2 id.
 */
export function toCaip2(wireNetwork: string): string {
  if (/^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/.test(wireNetwork)) return wireNetwork;
  const known = CHAIN_FAMILIES.flatMap((f) => f.networks).find((n) => n.v1Name === wireNetwork);
  return known ? known.caip2 : `unknown-v1:${wireNetwork}`;
}

export function explorerUrl(caip2: string, transaction: string): string | null {
  const family = familyOf(caip2);
  if (family?.explorerUrl) return family.explorerUrl(caip2, transaction);
  const prefix = findNetwork(caip2)?.explorerTxUrl;
  return prefix ? `${prefix}${transaction}` : null;
}

/**
 * Chain reads for the enabled networks, each through its family: a family none of them
 * belongs to opens nothing. Its RPC clients load on the first read, not at start-up.
 */
export function openChainReads(networks: readonly string[], rpc: Readonly<Record<string, string>>, timeoutMs: number): ChainReads {
  const opened = new Map<ChainFamily, ChainReads>();
  for (const network of networks) {
    const family = familyOf(network);
    if (family && !opened.has(family)) opened.set(family, family.reads(rpc, timeoutMs));
  }
  const readsFor = (network: string): ChainReads => {
    const family = familyOf(network);
    const reads = family && opened.get(family);
    if (!reads) throw new Error(`network ${network} is not enabled; add it to "networks" in the config`);
    return reads;
  };
  return {
    readBalance: (asset, owner) => readsFor(asset.network).readBalance(asset, owner),
    readAllowance: (asset, owner, spender) => readsFor(asset.network).readAllowance(asset, owner, spender),
    readEip2612: (asset, owner) => readsFor(asset.network).readEip2612(asset, owner),
    readDecimals: (asset) => readsFor(asset.network).readDecimals(asset),
    readLatestBlockhash: (network) => familyRead(readsFor(network).readLatestBlockhash, network)(network),
    readBlockHeight: (network) => familyRead(readsFor(network).readBlockHeight, network)(network),
    readAccountOwner: (network, address) => familyRead(readsFor(network).readAccountOwner, network)(network, address),
    reconcilePayment: (payment) => familyRead(readsFor(payment.network).reconcilePayment, payment.network)(payment),
    outgoingTransfers: (asset, owner, sinceMs) => familyRead(readsFor(asset.network).outgoingTransfers, asset.network)(asset, owner, sinceMs),
    verifySettlement: (expected, timeoutMs) => readsFor(expected.network).verifySettlement(expected, timeoutMs),
    servedNetwork: (network) => readsFor(network).servedNetwork(network),
    redactedRpcUrl: (network) => readsFor(network).redactedRpcUrl(network),
    close: async () => void (await Promise.all([...opened.values()].map((r) => r.close()))),
  };
}

/** Thrown for a read the network's chain family does not have: nothing was asked of the chain. */
export class NoSuchFamilyRead extends Error {}

/** A read only some families have (Solana's blockhash), bound to its reads, or a clear failure on another family. */
function familyRead<F extends (...args: never[]) => unknown>(read: F | undefined, network: string): F {
  if (!read) throw new NoSuchFamilyRead(`network ${network}'s chain family has no such read`);
  return read;
}
