import { familyOf, findNetwork } from "../chains/index.js";
import type { AssetInfo } from "../chains/types.js";
import { CodedError, ErrorCode } from "../errors.js";
import type { Runtime } from "../runtime.js";

/**
 * Refuses a token whose on-chain `decimals()` is not the one on record. Every amount in it
 * is priced and capped through those decimals: an `assets` entry saying 18 for a 6-decimal
 * token counts a dollar as a millionth of a micro-dollar, and no cap would ever stop it.
 * Like the balance check, a failed read blocks nothing (the table is still the best
 * knowledge there is); the chains' reads keep a good answer, so this costs one RPC per token.
 */
export async function assertTokenDecimals(rt: Pick<Runtime, "chain" | "config" | "logger">, asset: AssetInfo): Promise<void> {
  let onChain: number;
  try {
    onChain = await rt.chain.readDecimals(asset);
  } catch (error) {
    rt.logger.log("warning", `could not read decimals() of ${asset.symbol} ${asset.address} on ${asset.network}: ${(error as Error).message.split("\n")[0]}`);
    return;
  }
  if (onChain === asset.decimals) return;
  const network = findNetwork(asset.network)?.displayName ?? asset.network;
  const canonical = familyOf(asset.network)?.canonicalAddress;
  const configured = rt.config.assets.some((a) => a.network === asset.network && canonical?.(a.address) === asset.address);
  const record = configured ? `the "assets" entry in the config` : "the wallet's network table";
  const fix = configured
    ? `Correct "decimals" of that entry to ${onChain} if this is the token you meant, or remove the entry.`
    : `Check that rpc["${asset.network}"] in the config serves ${network}.`;
  throw new CodedError(
    ErrorCode.ASSET_DECIMALS_MISMATCH,
    `The payment is asked in ${asset.symbol} (${asset.address}) on ${network}, which ${record} says has ${asset.decimals} decimals, but the token on the chain says ${onChain}: ` +
      `its amounts would be priced wrongly against the spending caps, so the wallet does not pay with it. ${fix} Nothing was signed or paid.`,
    { network: asset.network, token: asset.address, symbol: asset.symbol, recordDecimals: asset.decimals, chainDecimals: onChain },
  );
}
