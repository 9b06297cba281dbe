import type { Address } from "viem";
import { getAddress, isAddress } from "viem/utils";
import type { Config } from "../config/schema.js";
import { parseUsd } from "../money.js";

type ConfiguredAsset = Config["assets"][number];

/** A token we are willing to sign for. Nothing outside this table is ever signed. */
export interface AssetInfo {
  network: string;
  address: Address;
  symbol: string;
  decimals: number;
  /** Price of one whole token in USD micros (1 USDC = 1 USD = 1_000_000). */
  usdPerUnitMicros: bigint;
  /** The token's own EIP-712 domain; a server's `extra.name/version` is never trusted over it. */
  eip712: { name: string; version: string };
}

export const KNOWN_ASSETS: readonly AssetInfo[] = [
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

/** Configured tokens first, so an owner's entry for a known address replaces ours. */
export function assetTable(configured: readonly ConfiguredAsset[]): AssetInfo[] {
  return [
    ...configured.map((a) => ({
      network: a.network,
      address: getAddress(a.address),
      symbol: a.symbol,
      decimals: a.decimals,
      usdPerUnitMicros: parseUsd(a.usdPerUnit),
      eip712: a.eip712,
    })),
    ...KNOWN_ASSETS,
  ];
}

export function findAsset(assets: readonly AssetInfo[], network: string, address: string): AssetInfo | undefined {
  if (!isAddress(address, { strict: false })) return undefined;
  const wanted = getAddress(address);
  return assets.find((a) => a.network === network && a.address === wanted);
}

/** The stablecoin whose balance `wallet_balance` reports for a network. */
export function findUsdc(assets: readonly AssetInfo[], network: string): AssetInfo | undefined {
  return assets.find((a) => a.network === network && a.symbol === "USDC");
}
