import type { Address } from "viem";
import { getAddress, isAddress } from "viem/utils";
import type { AssetInfo, ConfiguredAsset } from "../types.js";

/** How a token is moved by a signed authorization: its own EIP-3009, or Uniswap's Permit2 for any ERC-20. */
export type TransferMethod = "eip3009" | "permit2";

/** A token on an EVM network, with what signing for it needs. */
export interface EvmAssetInfo extends AssetInfo {
  address: Address;
  transferMethod: TransferMethod;
  /**
   * The token's own EIP-712 domain (EIP-3009 signs under it; a Permit2 token's is its
   * EIP-2612 one); a server's `extra.name/version` is never trusted over it.
   */
  eip712: { name: string; version: string } | undefined;
}

/**
 * The default USD stablecoins of `@x402/evm` (2.27) `DEFAULT_ASSETS`, the first of each
 * network being its default (a test holds this table equal to the package's): address,
 * decimals, EIP-712 domain and transfer method as the official client uses them.
 */
export const KNOWN_ASSETS: readonly EvmAssetInfo[] = [
  usd(8453, "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", "USDC", 6, "USD Coin", "2"),
  usd(84532, "0x036CbD53842c5426634e7929541eC2318f3dCF7e", "USDC", 6, "USDC", "2"),
  usd(1, "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", "USDC", 6, "USD Coin", "2"),
  usd(43114, "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E", "USDC", 6, "USD Coin", "2"),
  usd(4326, "0xFAfDdbb3FC7688494971a79cc65DCa3EF82079E7", "MegaUSD", 18, "MegaUSD", "1", "permit2"),
  usd(143, "0x754704Bc059F8C67012fEd69BC8A327a5aafb603", "USDC", 6, "USDC", "2"),
  usd(988, "0x779Ded0c9e1022225f8E0630b35a9b54bE713736", "USDT0", 6, "USDT0", "1"),
  usd(2201, "0x78Cf24370174180738C5B8E352B6D14c83a6c9A9", "USDT0", 6, "USDT0", "1"),
  usd(137, "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359", "USDC", 6, "USD Coin", "2"),
  usd(42161, "0xaf88d065e77c8cC2239327C5EDb3A432268e5831", "USDC", 6, "USD Coin", "2"),
  usd(421614, "0x75faf114eafb1BDbe2F0316DF893fd58CE46AA4d", "USDC", 6, "USD Coin", "2"),
  usd(31612, "0xdD468A1DDc392dcdbEf6db6e34E89AA338F9F186", "mUSD", 18, "Mezo USD", "1", "permit2"),
  usd(31611, "0x118917a40FAF1CD7a13dB0Ef56C86De7973Ac503", "mUSD", 18, "Mezo USD", "1", "permit2"),
  usd(723487, "0x33ad9e4BD16B69B5BFdED37D8B5D9fF9aba014Fb", "SBC", 6, "Stable Coin", "1", "permit2"),
  usd(72344, "0x33ad9e4BD16B69B5BFdED37D8B5D9fF9aba014Fb", "SBC", 6, "Stable Coin", "1", "permit2"),
  usd(36900, "0x9cb8142aEBBcdc60AF7c97Af897A67A8f3CA71C2", "USDC.e", 6, "USDC.e", "2"),
  usd(190415, "0x401eCb1D350407f13ba348573E5630B83638E30D", "USDC.e", 6, "Bridged USDC", "2"),
  usd(181228, "0x401eCb1D350407f13ba348573E5630B83638E30D", "USDC.e", 6, "Bridged USDC", "2"),
  usd(50, "0xfA2958CB79b0491CC627c1557F441eF849Ca8eb1", "USDC", 6, "USDC", "2"),
  usd(51, "0xb5AB69F7bBada22B28e79C8FFAECe55eF1c771D4", "USDC", 6, "USDC", "2"),
  usd(38833, "0xA5b8BF902b2844dA17d4506cc827F7F1681735E7", "USDC", 6, "USDC", "1", "permit2"),
  usd(14, "0xe7cd86e13AC4309349F30B3435a9d337750fC82D", "USDT0", 6, "USD₮0", "1"),
  usd(42220, "0xcebA9300f2b948710d2653dD7B07f33A8B32118C", "USDC", 6, "USDC", "2"),
  usd(42220, "0x48065fbBE25f71C9282ddf5e1cD6D6A887483D5e", "USDT", 6, "Tether USD", "1"),
  usd(42220, "0xD2ab3C9A02DBBAB236BfEC45D1d755DF4267F771", "USAT", 6, "Tether America USD", "1"),
  usd(11142220, "0x01C5C0122039549AD1493B8220cABEdD739BC44E", "USDC", 6, "USDC", "2"),
  usd(1329, "0xe15fC38F6D8c56aF07bbCBe3BAf5708A2Bf42392", "USDC", 6, "USDC", "2"),
  usd(1328, "0x4fCF1784B31630811181f670Aea7A7bEF803eaED", "USDC", 6, "USDC", "2"),
];

/** A dollar stablecoin: 1 token = 1 USD. */
function usd(
  chainId: number,
  address: Address,
  symbol: string,
  decimals: number,
  name: string,
  version: string,
  transferMethod: TransferMethod = "eip3009",
): EvmAssetInfo {
  return { network: `eip155:${chainId}`, address, symbol, decimals, usdPerUnitMicros: 1_000_000n, transferMethod, eip712: { name, version } };
}

/** An owner's extra EVM token, checksummed: paid by EIP-3009 when its EIP-712 domain is given, else through Permit2. */
export function evmAsset(configured: ConfiguredAsset): EvmAssetInfo {
  if (!isAddress(configured.address, { strict: false })) throw new Error(`asset ${configured.address} is not an EVM address`);
  return {
    network: configured.network,
    address: getAddress(configured.address),
    symbol: configured.symbol,
    decimals: configured.decimals,
    usdPerUnitMicros: configured.usdPerUnitMicros,
    transferMethod: configured.eip712 ? "eip3009" : "permit2",
    eip712: configured.eip712,
  };
}

/**
 * The EVM facts of a token from the asset table. The table is built by the families, so an
 * asset of an EVM network is always one of these; the check is for a caller that made its own.
 */
export function evmAssetFacts(asset: AssetInfo): EvmAssetInfo {
  const { transferMethod } = asset as Partial<EvmAssetInfo>;
  if (!isAddress(asset.address, { strict: false }) || transferMethod === undefined) {
    throw new Error(`${asset.symbol} ${asset.address} on ${asset.network} is not a token the EVM family has on record`);
  }
  return asset as EvmAssetInfo;
}
