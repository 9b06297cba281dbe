import type { NetworkInfo } from "../types.js";

/** What we know about a Solana cluster: CAIP-2's reference is its genesis hash cut to 32 characters. */
export interface SolanaNetworkInfo extends NetworkInfo {
  caip2: `solana:${string}`;
  genesisHash: string;
}

const EXPLORER = "https://explorer.solana.com/tx/";

/** The clusters `@x402/svm` (2.27) pays on, with x402 v1's names and the public RPCs. */
export const SOLANA_NETWORKS: readonly SolanaNetworkInfo[] = [
  {
    caip2: "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp",
    genesisHash: "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d",
    v1Name: "solana",
    displayName: "Solana",
    defaultRpc: "https://api.mainnet-beta.solana.com",
    explorerTxUrl: EXPLORER,
  },
  {
    caip2: "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1",
    genesisHash: "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG",
    v1Name: "solana-devnet",
    displayName: "Solana Devnet",
    defaultRpc: "https://api.devnet.solana.com",
    explorerTxUrl: EXPLORER,
  },
];

export function findSolanaNetwork(caip2: string): SolanaNetworkInfo | undefined {
  return SOLANA_NETWORKS.find((n) => n.caip2 === caip2);
}

/** The explorer's page of a transaction: devnet's needs `?cluster=devnet`, which a prefix cannot carry. */
export function solanaExplorerUrl(caip2: string, signature: string): string | null {
  const network = findSolanaNetwork(caip2);
  if (!network?.explorerTxUrl) return null;
  return `${network.explorerTxUrl}${signature}${network.v1Name === "solana-devnet" ? "?cluster=devnet" : ""}`;
}
