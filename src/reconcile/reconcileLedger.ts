import { DAY_MS } from "../budget/spendWindow.js";
import type { BudgetStore, HistoryEntry } from "../budget/types.js";
import { findAsset } from "../chains/assets.js";
import { NoSuchFamilyRead } from "../chains/index.js";
import type { AssetInfo, ChainReads, ChainSigner } from "../chains/types.js";
import { assetToUsdMicros } from "../money.js";
import { findExternalTransfers, type ExternalFinding } from "./findExternalTransfers.js";
import { pendingPayments } from "./pendingPayments.js";
import { reconciledReceipt } from "./reconciledReceipt.js";

/** Entries read at most: far more than a wallet pays in the periods reconciliation looks at. */
const MAX_ENTRIES = 100_000;

/** One ledger entry reconciliation changed: what the person needs to recognize it, and why. */
export interface ReconcileChange {
  id: string;
  paidAt: number;
  url: string;
  network: string;
  amountAtomic: bigint;
  asset: AssetInfo | undefined;
  /** The authorization's nonce (EVM) or the wallet's own signature in its transaction (Solana). */
  authorization: string | undefined;
  from: HistoryEntry["status"];
  to: "verified" | "mismatch" | "expired";
  transaction?: string;
  reason?: string;
  /** upto: what was taken, when less than the maximum that counted. */
  taken?: bigint;
}

export interface ReconcileReport {
  sinceMs: number;
  /** Entries whose outcome was unknown and were asked about. */
  checked: number;
  changed: ReconcileChange[];
  /** Still open: valid, or used where no settlement could be found. */
  open: { id: string; url: string; detail: string }[];
  /** A read failed: left as they were. */
  failed: { id: string; url: string; error: string }[];
  external: ExternalFinding[];
  /** Families or tokens whose outgoing transfers could not be read. */
  externalFailures: string[];
}

export interface ReconcileLedgerParameters {
  store: BudgetStore;
  chain: ChainReads;
  assets: readonly AssetInfo[];
  /** The networks the config enables: only their tokens are searched for unknown transfers. */
  networks: readonly string[];
  /** The wallet's signer per CAIP-2 namespace. */
  signers: ReadonlyMap<string, ChainSigner>;
  sinceMs: number;
  now?: () => number;
}

/**
 * Asks the chain about every payment since `sinceMs` whose outcome the ledger does not know
 * and writes what it proves as new ledger lines: verified (with its transaction; upto: the
 * amount taken, the rest given back), mismatch, or expired (its amount given back to every
 * cap). Then looks for transfers out of the wallet that no entry explains and counts those of
 * the last 24 h in the day's total. A failed read changes nothing.
 */
export async function reconcileLedger(parameters: ReconcileLedgerParameters): Promise<ReconcileReport> {
  const { store, chain, assets, sinceMs } = parameters;
  const entries = await store.history({ limit: MAX_ENTRIES, sinceMs, host: undefined });
  const pending = pendingPayments(entries);
  const report: ReconcileReport = { sinceMs, checked: pending.length, changed: [], open: [], failed: [], external: [], externalFailures: [] };
  const settledIn = new Set<string>();
  for (const { entry, payment } of pending) {
    const asset = findAsset(assets, payment.network, payment.asset);
    const base = { id: entry.id, paidAt: entry.at, url: entry.meta.url, network: payment.network, amountAtomic: payment.amountAtomic, asset, authorization: payment.nonce, from: entry.status };
    try {
      const finding = await chain.reconcilePayment!(payment);
      if (finding.status === "open") {
        report.open.push({ id: entry.id, url: entry.meta.url, detail: finding.detail });
      } else if (finding.status === "expired") {
        await store.expire(entry.id, finding.reason);
        report.changed.push({ ...base, to: "expired", reason: finding.reason });
      } else if (finding.status === "mismatch") {
        settledIn.add(finding.transaction.toLowerCase());
        const receipt = reconciledReceipt(entry, asset, { status: "mismatch", transaction: finding.transaction, amountAtomic: payment.amountAtomic, note: finding.detail });
        await store.commit({ id: entry.id }, { status: "mismatch", receipt });
        report.changed.push({ ...base, to: "mismatch", transaction: finding.transaction, reason: finding.detail });
      } else {
        settledIn.add(finding.transaction.toLowerCase());
        const taken = finding.amountAtomic < payment.amountAtomic ? finding.amountAtomic : undefined;
        if (taken !== undefined && asset) await store.settleActual({ id: entry.id }, assetToUsdMicros(taken, asset.decimals, asset.usdPerUnitMicros));
        const receipt = reconciledReceipt(entry, asset, { status: "verified", transaction: finding.transaction, amountAtomic: finding.amountAtomic });
        await store.commit({ id: entry.id }, { status: "verified", receipt });
        report.changed.push({ ...base, to: "verified", transaction: finding.transaction, ...(taken !== undefined ? { taken } : {}) });
      }
    } catch (error) {
      if (error instanceof NoSuchFamilyRead) {
        report.open.push({ id: entry.id, url: entry.meta.url, detail: `payments on ${payment.network} are not reconciled yet` });
        continue;
      }
      report.failed.push({ id: entry.id, url: entry.meta.url, error: (error as Error).message.split("\n")[0] ?? String(error) });
    }
  }
  const known = new Set(settledIn);
  for (const entry of entries) if (entry.receipt?.transaction) known.add(entry.receipt.transaction.toLowerCase());
  const found = await findExternalTransfers({ ...parameters, known });
  report.externalFailures = found.failures;
  const now = (parameters.now ?? Date.now)();
  for (const transfer of found.transfers) {
    // Only the last 24 h count against the day's cap; older ones are reported, as they are spent.
    if (transfer.blockAtMs > now - DAY_MS) {
      try {
        transfer.recorded = await store.recordExternal({
          id: `${transfer.network}:${transfer.transaction.toLowerCase()}:${transfer.logIndex}`,
          network: transfer.network,
          asset: transfer.asset,
          transaction: transfer.transaction,
          to: transfer.to,
          amountAtomic: transfer.amountAtomic,
          usdMicros: transfer.usdMicros,
          blockAt: transfer.blockAtMs,
        });
      } catch (error) {
        report.externalFailures.push(`transfer ${transfer.transaction} could not be counted: ${(error as Error).message}`);
      }
    }
    report.external.push(transfer);
  }
  return report;
}
