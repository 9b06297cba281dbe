import type { Config } from "../config/schema.js";
import { parseUsd } from "../money.js";
import { CHAIN_FAMILIES, familyOf } from "./index.js";
import type { AssetInfo } from "./types.js";

type ConfiguredAsset = Config["assets"][number];

/** Configured tokens first, so an owner's entry for a known address replaces ours. */
export function assetTable(configured: readonly ConfiguredAsset[]): AssetInfo[] {
  return [
    ...configured.map((a) => {
      const family = familyOf(a.network);
      if (!family) throw new Error(`asset ${a.address}: network ${a.network} belongs to no chain family this wallet knows`);
      return family.asset({ ...a, usdPerUnitMicros: parseUsd(a.usdPerUnit) });
    }),
    ...CHAIN_FAMILIES.flatMap((f) => f.assets),
  ];
}

export function findAsset(assets: readonly AssetInfo[], network: string, address: string): AssetInfo | undefined {
  const wanted = familyOf(network)?.canonicalAddress(address);
  if (wanted === undefined) return undefined;
  return assets.find((a) => a.network === network && a.address === wanted);
}

/** The stablecoin whose balance `wallet_balance` reports for a network: its USDC, else its default token (USDT0 on Stable). */
export function findUsdc(assets: readonly AssetInfo[], network: string): AssetInfo | undefined {
  const own = assets.filter((a) => a.network === network);
  return own.find((a) => a.symbol === "USDC") ?? own[0];
}
