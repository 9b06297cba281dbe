import { existsSync } from "node:fs";
import { openBudgetStore } from "../budget/openBudgetStore.js";
import { DAY_MS } from "../budget/spendWindow.js";
import { assetTable } from "../chains/assets.js";
import { openChainReads } from "../chains/index.js";
import type { ChainSigner } from "../chains/types.js";
import type { Config } from "../config/schema.js";
import { formatDecimal } from "../money.js";
import { findExternalTransfers } from "../reconcile/findExternalTransfers.js";
import { defaultLedgerPath } from "../runtime.js";
import type { Check } from "./doctorChecks.js";

/**
 * Transfers of a known token out of the wallet in the last 24 h that no ledger entry explains
 * (the key used elsewhere): a warning row listing their transactions, or no row when there are
 * none or they cannot be read (the RPC rows say why). Writes nothing; `ledger reconcile` and a
 * running server count them in the day's total.
 */
export async function checkUnknownTransfers(config: Config, account: ChainSigner | null, timeoutMs: number): Promise<Check | null> {
  if (!account) return null;
  const ledgerPath = config.ledger ?? defaultLedgerPath();
  const sinceMs = Date.now() - DAY_MS;
  const known = new Set<string>();
  if (config.store.kind === "redis" || existsSync(ledgerPath)) {
    const store = await openBudgetStore({ store: config.store, ledgerPath, wallet: account.address, logger: { log: () => undefined } }).catch(() => null);
    if (!store) return null;
    try {
      // A settlement may land some time after its payment was made.
      for (const entry of await store.history({ limit: 100_000, sinceMs: sinceMs - DAY_MS, host: undefined })) {
        if (entry.receipt?.transaction) known.add(entry.receipt.transaction.toLowerCase());
      }
    } catch {
      return null;
    } finally {
      await store.close();
    }
  }
  const chain = openChainReads(config.networks, config.rpc, timeoutMs);
  try {
    const { transfers } = await findExternalTransfers({
      chain,
      assets: assetTable(config.assets),
      networks: config.networks,
      signers: new Map([["eip155", account]]),
      sinceMs,
      known,
    });
    if (transfers.length === 0) return null;
    const listed = transfers.map((t) => `${formatDecimal(t.amountAtomic, t.decimals)} ${t.symbol} to ${t.to} on ${t.network} in ${t.transaction}`).join("\n");
    return {
      name: "unknown transfers (24 h)",
      status: "warn",
      detail: `${transfers.length} transfer(s) from the wallet that no ledger entry explains:\n${listed}`,
      fix: "if you did not make them, the key is used elsewhere: move the funds to a new key (x402-wallet-mcp init). `x402-wallet-mcp ledger reconcile` counts them in the day's total",
    };
  } finally {
    await chain.close();
  }
}
