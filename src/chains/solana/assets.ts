import type { AssetInfo, ConfiguredAsset } from "../types.js";
import { isSolanaAddress } from "./base58.js";

/** USDC of `@x402/svm` (2.27)'s default table: an SPL Token mint with 6 decimals on each cluster. */
export const SOLANA_ASSETS: readonly AssetInfo[] = [
  usdc("solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp", "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"),
  usdc("solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1", "4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU"),
];

function usdc(network: string, mint: string): AssetInfo {
  return { network, address: mint, symbol: "USDC", decimals: 6, usdPerUnitMicros: 1_000_000n };
}

/** An owner's extra SPL token: its mint, as base58 is already canonical (and case matters). */
export function solanaAsset(configured: ConfiguredAsset): AssetInfo {
  if (!isSolanaAddress(configured.address)) throw new Error(`asset ${configured.address} is not a Solana mint address`);
  if (configured.eip712) throw new Error(`asset ${configured.address}: "eip712" applies to EVM tokens only`);
  return {
    network: configured.network,
    address: configured.address,
    symbol: configured.symbol,
    decimals: configured.decimals,
    usdPerUnitMicros: configured.usdPerUnitMicros,
  };
}
