import { base, baseSepolia, type Chain } from "viem/chains";

/** What we know about an EVM network we can pay on. CAIP-2 ids are the internal name. */
export interface NetworkInfo {
  caip2: `eip155:${number}`;
  chainId: number;
  /** The x402 v1 name servers use for it (`base-sepolia`). */
  v1Name: string;
  displayName: string;
  defaultRpc: string;
  /** Transaction page prefix, or null where the network has no public explorer. */
  explorerTxUrl: string | null;
  viemChain: Chain;
}

export const KNOWN_NETWORKS: readonly NetworkInfo[] = [
  {
    caip2: "eip155:8453",
    chainId: 8453,
    v1Name: "base",
    displayName: "Base",
    defaultRpc: "https://mainnet.base.org",
    explorerTxUrl: "https://basescan.org/tx/",
    viemChain: base,
  },
  {
    caip2: "eip155:84532",
    chainId: 84532,
    v1Name: "base-sepolia",
    displayName: "Base Sepolia",
    defaultRpc: "https://sepolia.base.org",
    explorerTxUrl: "https://sepolia.basescan.org/tx/",
    viemChain: baseSepolia,
  },
];

export function findNetwork(caip2: string): NetworkInfo | undefined {
  return KNOWN_NETWORKS.find((n) => n.caip2 === caip2);
}

/**
 * Maps a network as a server wrote it (v2 CAIP-2 `eip155:84532`, or a v1 name such as
 * `base-sepolia`) to CAIP-2. Unknown v1 names are returned as given, prefixed so they can
 * never collide with a configured CAIP-2 id.
 */
export function toCaip2(wireNetwork: string): string {
  if (/^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/.test(wireNetwork)) return wireNetwork;
  const known = KNOWN_NETWORKS.find((n) => n.v1Name === wireNetwork);
  return known ? known.caip2 : `unknown-v1:${wireNetwork}`;
}

export function explorerUrl(caip2: string, transaction: string): string | null {
  const prefix = findNetwork(caip2)?.explorerTxUrl;
  return prefix ? `${prefix}${transaction}` : null;
}
