import type { Chain } from "viem";
import type { NetworkInfo } from "../types.js";

/** What we know about an EVM network we can pay on. */
export interface EvmNetworkInfo extends NetworkInfo {
  caip2: `eip155:${number}`;
  chainId: number;
  /** The gas token, for viem's chain description (never paid with here). */
  nativeSymbol: string;
  testnet: boolean;
}

/**
 * Every network `@x402/evm` (2.27) has a default asset on (a test compares the two), with
 * the x402 v1 name where x402 defines one, the public RPC and explorer of viem's chain
 * definitions, and a display name. Written out rather than imported from "viem/chains":
 * that entry point loads every chain viem knows (about 750 modules), which was most of the
 * server's start-up time. A wallet pays only on the networks its owner enables ("networks").
 */
export const KNOWN_NETWORKS: readonly EvmNetworkInfo[] = [
  evm(8453, "base", "Base", "https://mainnet.base.org", "https://basescan.org", "ETH"),
  evm(84532, "base-sepolia", "Base Sepolia", "https://sepolia.base.org", "https://sepolia.basescan.org", "ETH", true),
  evm(1, "ethereum", "Ethereum", "https://ethereum.reth.rs/rpc", "https://etherscan.io", "ETH"),
  evm(43114, "avalanche", "Avalanche", "https://api.avax.network/ext/bc/C/rpc", "https://snowtrace.io", "AVAX"),
  evm(4326, "megaeth", "MegaETH", "https://mainnet.megaeth.com/rpc", "https://mega.etherscan.io", "ETH"),
  evm(143, "monad", "Monad", "https://rpc.monad.xyz", "https://monadscan.com", "MON"),
  evm(988, "stable", "Stable", "https://rpc.stable.xyz", "https://stablescan.xyz", "USDT0"),
  evm(2201, "stable-testnet", "Stable Testnet", "https://rpc.testnet.stable.xyz", "https://testnet.stablescan.xyz", "USDT0", true),
  evm(137, "polygon", "Polygon", "https://polygon.drpc.org", "https://polygonscan.com", "POL"),
  evm(42161, null, "Arbitrum One", "https://arb1.arbitrum.io/rpc", "https://arbiscan.io", "ETH"),
  evm(421614, null, "Arbitrum Sepolia", "https://sepolia-rollup.arbitrum.io/rpc", "https://sepolia.arbiscan.io", "ETH", true),
  evm(31612, null, "Mezo", "https://rpc.mezo.org", "https://explorer.mezo.org", "BTC"),
  evm(31611, null, "Mezo Testnet", "https://rpc.test.mezo.org", "https://explorer.test.mezo.org", "BTC", true),
  evm(723487, null, "Radius", "https://rpc.radiustech.xyz", "https://network.radiustech.xyz", "RUSD"),
  evm(72344, null, "Radius Testnet", "https://rpc.testnet.radiustech.xyz", "https://testnet.radiustech.xyz", "RUSD", true),
  evm(36900, null, "ADI Chain", "https://rpc.adifoundation.ai", "https://explorer.adifoundation.ai", "ADI"),
  evm(190415, null, "HPP", "https://mainnet.hpp.io", "https://explorer.hpp.io", "ETH"),
  evm(181228, null, "HPP Sepolia", "https://testnet.hpp.io", "https://sepolia-explorer.hpp.io", "ETH", true),
  evm(50, null, "XDC Network", "https://rpc.xdcrpc.com", "https://xdcscan.com", "XDC"),
  evm(51, null, "XDC Apothem", "https://erpc.apothem.network", "https://testnet.xdcscan.com", "TXDC", true),
  evm(38833, null, "Igra Network", "https://rpc.igralabs.com:8545", "https://explorer.igralabs.com", "iKAS"),
  evm(14, "flare", "Flare", "https://flare-api.flare.network/ext/C/rpc", "https://flare-explorer.flare.network", "FLR"),
  evm(42220, "celo", "Celo", "https://forno.celo.org", "https://celoscan.io", "CELO"),
  evm(11142220, null, "Celo Sepolia", "https://forno.celo-sepolia.celo-testnet.org", "https://celo-sepolia.blockscout.com", "S-CELO", true),
  evm(1329, "sei", "Sei", "https://evm-rpc.sei-apis.com", "https://seiscan.io", "SEI"),
  evm(1328, "sei-testnet", "Sei Testnet", "https://evm-rpc-testnet.sei-apis.com", "https://testnet.seiscan.io", "SEI", true),
];

function evm(
  chainId: number,
  v1Name: string | null,
  displayName: string,
  defaultRpc: string,
  explorer: string,
  nativeSymbol: string,
  testnet = false,
): EvmNetworkInfo {
  return { caip2: `eip155:${chainId}`, chainId, v1Name, displayName, defaultRpc, explorerTxUrl: `${explorer}/tx/`, nativeSymbol, testnet };
}

export function findEvmNetwork(caip2: string): EvmNetworkInfo | undefined {
  return KNOWN_NETWORKS.find((n) => n.caip2 === caip2);
}

/**
 * viem's description of the chain, as its defineChain returns it less `extend`: only what
 * our reads use (id, currency, RPC, explorer), so this module loads nothing of viem.
 */
export function viemChain(network: EvmNetworkInfo): Chain {
  return {
    id: network.chainId,
    name: network.displayName,
    nativeCurrency: { name: network.nativeSymbol, symbol: network.nativeSymbol, decimals: 18 },
    rpcUrls: { default: { http: [network.defaultRpc] } },
    ...(network.explorerTxUrl ? { blockExplorers: { default: { name: network.displayName, url: network.explorerTxUrl.slice(0, -"/tx/".length) } } } : {}),
    testnet: network.testnet,
  };
}
