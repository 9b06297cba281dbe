import { DAY_MS } from "../budget/spendWindow.js";
import { reconcileLedger } from "../reconcile/reconcileLedger.js";
import { formatReconcileReport, reconcileReportJson } from "../reconcile/formatReconcileReport.js";
import { loadRuntime } from "./loadRuntime.js";
import { print } from "./output.js";
import { parseCommandArgs, UsageError } from "./usage.js";

export const RECONCILE_USAGE = "ledger reconcile [--since ISO] [--json] [--config PATH]";

/**
 * `x402-wallet-mcp ledger reconcile`: asks the chain about the payments since --since (default:
 * the last 7 days) whose outcome the ledger does not know, writes what it proves, and reports
 * transfers from the wallet no entry explains. Exit code 1 when a read failed (those entries
 * are left as they were), else 0. Takes the arguments after `ledger reconcile`.
 */
export async function runLedgerReconcile(args: string[]): Promise<number> {
  const { values } = parseCommandArgs("ledger reconcile", args, {
    config: { type: "string" },
    since: { type: "string" },
    json: { type: "boolean" },
  });
  const sinceMs = values.since === undefined ? Date.now() - 7 * DAY_MS : Date.parse(values.since);
  if (!Number.isFinite(sinceMs)) throw new UsageError(`ledger reconcile: --since ${JSON.stringify(values.since)} is not an ISO date or time (usage: ${RECONCILE_USAGE})`);
  const rt = await loadRuntime(values.config, { wallet: true });
  try {
    const report = await reconcileLedger({ store: rt.budget, chain: rt.chain, assets: rt.assets, networks: rt.config.networks, signers: rt.signers, sinceMs });
    print(values.json ? JSON.stringify(reconcileReportJson(report), null, 2) : formatReconcileReport(report));
    return report.failed.length > 0 || report.externalFailures.length > 0 ? 1 : 0;
  } finally {
    await rt.close();
  }
}
