import type { Address } from "viem";
import { getAddress, isAddress } from "viem/utils";
import type { AssetInfo, ConfiguredAsset } from "../types.js";

/** A token on an EVM network, with what signing for it needs. */
export interface EvmAssetInfo extends AssetInfo {
  address: Address;
  /** The token's own EIP-712 domain; a server's `extra.name/version` is never trusted over it. */
  eip712: { name: string; version: string };
}

export const KNOWN_ASSETS: readonly EvmAssetInfo[] = [
  {
    network: "eip155:8453",
    address: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
    symbol: "USDC",
    decimals: 6,
    usdPerUnitMicros: 1_000_000n,
    eip712: { name: "USD Coin", version: "2" },
  },
  {
    network: "eip155:84532",
    address: "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
    symbol: "USDC",
    decimals: 6,
    usdPerUnitMicros: 1_000_000n,
    eip712: { name: "USDC", version: "2" },
  },
];

/** An owner's extra EVM token, checksummed. */
export function evmAsset(configured: ConfiguredAsset): EvmAssetInfo {
  if (!isAddress(configured.address, { strict: false })) throw new Error(`asset ${configured.address} is not an EVM address`);
  if (!configured.eip712) throw new Error(`asset ${configured.address} on ${configured.network} needs its EIP-712 name and version ("eip712")`);
  return {
    network: configured.network,
    address: getAddress(configured.address),
    symbol: configured.symbol,
    decimals: configured.decimals,
    usdPerUnitMicros: configured.usdPerUnitMicros,
    eip712: configured.eip712,
  };
}

/**
 * The EVM facts of a token from the asset table. The table is built by the families, so an
 * asset of an EVM network is always one of these; the check is for a caller that made its own.
 */
export function evmAssetFacts(asset: AssetInfo): EvmAssetInfo {
  const { eip712 } = asset as Partial<EvmAssetInfo>;
  if (!isAddress(asset.address, { strict: false }) || !eip712) {
    throw new Error(`${asset.symbol} ${asset.address} on ${asset.network} is not a token the EVM family has on record`);
  }
  return asset as EvmAssetInfo;
}
