import { formatDecimal, formatUsd } from "../money.js";
import type { ReconcileReport } from "./reconcileLedger.js";

/** The report as the person reads it: each changed entry, the unknown transfers, then a summary. */
export function formatReconcileReport(report: ReconcileReport): string {
  const lines: string[] = [];
  for (const c of report.changed) {
    const amount = c.asset ? `${formatDecimal(c.amountAtomic, c.asset.decimals)} ${c.asset.symbol}` : `${c.amountAtomic} (atomic)`;
    const taken = c.taken !== undefined && c.asset ? `; took ${formatDecimal(c.taken, c.asset.decimals)} ${c.asset.symbol}, the rest given back` : "";
    const why = c.to === "expired" ? `: ${c.reason}; its amount no longer counts against any cap` : ` in ${c.transaction}${taken}${c.reason ? ` (${c.reason})` : ""}`;
    lines.push(`${new Date(c.paidAt).toISOString()}  ${c.url}  ${amount}  ${c.authorization ? `nonce ${c.authorization}` : "no authorization id"}  ${c.from} → ${c.to}${why}`);
  }
  for (const t of report.external) {
    const counted = t.recorded ? " (counted in the day's total)" : " (older than 24 h: reported, not counted)";
    lines.push(
      `WARNING unknown transfer from the wallet: ${formatDecimal(t.amountAtomic, t.decimals)} ${t.symbol} to ${t.to} on ${t.network}, ${new Date(t.blockAtMs).toISOString()}, transaction ${t.transaction}${counted}. No ledger entry explains it: was the key used elsewhere?`,
    );
  }
  for (const f of report.failed) lines.push(`could not check ${f.url} (entry ${f.id}): ${f.error}; left as it was`);
  for (const f of report.externalFailures) lines.push(`could not read transfers from the wallet: ${f}`);
  const by = (to: string) => report.changed.filter((c) => c.to === to).length;
  const externalUsd = report.external.filter((t) => t.recorded === "recorded").reduce((sum, t) => sum + t.usdMicros, 0n);
  lines.push(
    `Since ${new Date(report.sinceMs).toISOString()}: ${report.checked} payment(s) with an unknown outcome checked; ${by("verified")} verified, ${by("expired")} expired, ${by("mismatch")} mismatch, ${report.open.length} still open, ${report.failed.length} not checked (read failed). ${report.external.length} unknown transfer(s) from the wallet${externalUsd > 0n ? `, ${formatUsd(externalUsd)} USD newly counted in the day's total` : ""}.`,
  );
  return lines.join("\n");
}

/** The report as JSON: amounts as decimal strings, times as ISO. */
export function reconcileReportJson(report: ReconcileReport): unknown {
  return {
    since: new Date(report.sinceMs).toISOString(),
    checked: report.checked,
    changed: report.changed.map((c) => ({
      id: c.id,
      paidAt: new Date(c.paidAt).toISOString(),
      url: c.url,
      network: c.network,
      amount: c.asset ? formatDecimal(c.amountAtomic, c.asset.decimals) : null,
      amountAtomic: c.amountAtomic.toString(),
      symbol: c.asset?.symbol ?? null,
      authorization: c.authorization ?? null,
      from: c.from,
      to: c.to,
      transaction: c.transaction ?? null,
      reason: c.reason ?? null,
      ...(c.taken !== undefined ? { takenAtomic: c.taken.toString() } : {}),
    })),
    open: report.open,
    failed: report.failed,
    external: report.external.map((t) => ({
      network: t.network,
      asset: t.asset,
      symbol: t.symbol,
      transaction: t.transaction,
      logIndex: t.logIndex,
      to: t.to,
      amount: formatDecimal(t.amountAtomic, t.decimals),
      amountAtomic: t.amountAtomic.toString(),
      at: new Date(t.blockAtMs).toISOString(),
      counted: t.recorded !== undefined,
    })),
    externalFailures: report.externalFailures,
  };
}
