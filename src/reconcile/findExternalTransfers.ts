import { familyOf, NoSuchFamilyRead } from "../chains/index.js";
import type { AssetInfo, ChainReads, ChainSigner, OutgoingTransfer } from "../chains/types.js";
import { assetToUsdMicros } from "../money.js";

/** A transfer out of the wallet that no ledger entry explains. */
export interface ExternalFinding extends OutgoingTransfer {
  symbol: string;
  decimals: number;
  usdMicros: bigint;
  /** Set once counted in the day's total: "recorded" now, or "known" from an earlier run. */
  recorded?: "recorded" | "known";
}

export interface FindExternalTransfersParameters {
  chain: ChainReads;
  assets: readonly AssetInfo[];
  networks: readonly string[];
  signers: ReadonlyMap<string, ChainSigner>;
  sinceMs: number;
  /** Transactions the ledger knows (lower case): their transfers are payments of ours. */
  known: ReadonlySet<string>;
}

/**
 * Reads, for every known token of every enabled network whose family holds a key, the
 * transfers out of the wallet since `sinceMs`, and keeps those in no known transaction.
 * A read that fails is named in `failures`; a family without the read is skipped.
 */
export async function findExternalTransfers(parameters: FindExternalTransfersParameters): Promise<{ transfers: ExternalFinding[]; failures: string[] }> {
  const { chain, assets, networks, signers, sinceMs, known } = parameters;
  const transfers: ExternalFinding[] = [];
  const failures: string[] = [];
  for (const asset of assets.filter((a) => networks.includes(a.network))) {
    const family = familyOf(asset.network);
    const owner = family && signers.get(family.namespace);
    if (!owner) continue;
    try {
      for (const transfer of await chain.outgoingTransfers!(asset, owner.address, sinceMs)) {
        if (known.has(transfer.transaction.toLowerCase())) continue;
        transfers.push({ ...transfer, symbol: asset.symbol, decimals: asset.decimals, usdMicros: assetToUsdMicros(transfer.amountAtomic, asset.decimals, asset.usdPerUnitMicros) });
      }
    } catch (error) {
      // A family that cannot list transfers is not a failed read.
      if (error instanceof NoSuchFamilyRead) continue;
      failures.push(`${asset.symbol} on ${asset.network}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  return { transfers, failures };
}
