import type { Chain } from "viem";
import type { NetworkInfo } from "../types.js";

// The two chains defined here rather than imported from "viem/chains": that entry point
// loads every chain viem knows (about 750 modules), which was most of the server's start-up
// time and a good part of its memory. Only what our reads use: id, currency, RPC, explorer,
// Multicall3 (the OP-stack formatters only add L1 fee fields we never read). Plain objects
// (what viem's defineChain returns, less `extend`), so this module loads nothing of viem.
const MULTICALL3 = "0xca11bde05977b3631167028862be2a173976ca11";
const base: Chain = {
  id: 8453,
  name: "Base",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: ["https://mainnet.base.org"] } },
  blockExplorers: { default: { name: "Basescan", url: "https://basescan.org" } },
  contracts: { multicall3: { address: MULTICALL3, blockCreated: 5022 } },
};
const baseSepolia: Chain = {
  id: 84532,
  name: "Base Sepolia",
  nativeCurrency: { name: "Sepolia Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: ["https://sepolia.base.org"] } },
  blockExplorers: { default: { name: "Basescan", url: "https://sepolia.basescan.org" } },
  contracts: { multicall3: { address: MULTICALL3, blockCreated: 1059647 } },
  testnet: true,
};

/** What we know about an EVM network we can pay on. */
export interface EvmNetworkInfo extends NetworkInfo {
  caip2: `eip155:${number}`;
  chainId: number;
  viemChain: Chain;
}

export const KNOWN_NETWORKS: readonly EvmNetworkInfo[] = [
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

export function findEvmNetwork(caip2: string): EvmNetworkInfo | undefined {
  return KNOWN_NETWORKS.find((n) => n.caip2 === caip2);
}
