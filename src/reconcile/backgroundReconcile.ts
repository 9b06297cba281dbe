import type { Runtime } from "../runtime.js";

/** Stops the background reconciliation; resolves when a run in progress has finished. */
export type StopReconcile = () => Promise<void>;

/**
 * Runs reconciliation every `reconcile.intervalSeconds` (0: never) in a running server: the
 * first run one interval after start, so start-up waits for nothing; the next one an interval
 * after the previous one ends, so runs never overlap; the timer is unref'd, so it keeps no
 * process alive; its code loads on the first run. What it changes, and any failure, is logged to stderr.
 */
export function startBackgroundReconcile(rt: Runtime): StopReconcile {
  const { intervalSeconds, lookbackHours } = rt.config.reconcile;
  if (intervalSeconds === 0) return async () => undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce(rt, lookbackHours).finally(schedule);
    }, intervalSeconds * 1000);
    timer.unref();
  };
  schedule();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}

async function runOnce(rt: Runtime, lookbackHours: number): Promise<void> {
  try {
    // Loaded on the first run, not at start-up.
    const [{ reconcileLedger }, { formatReconcileReport }] = await Promise.all([import("./reconcileLedger.js"), import("./formatReconcileReport.js")]);
    const report = await reconcileLedger({
      store: rt.budget,
      chain: rt.chain,
      assets: rt.assets,
      networks: rt.config.networks,
      signers: rt.signers,
      sinceMs: Date.now() - lookbackHours * 3_600_000,
    });
    const quiet = report.changed.length === 0 && report.external.every((t) => t.recorded !== "recorded") && report.failed.length === 0 && report.externalFailures.length === 0;
    if (!quiet) rt.logger.log(report.external.some((t) => t.recorded === "recorded") ? "warning" : "info", `reconciliation with the chain: ${formatReconcileReport(report)}`);
  } catch (error) {
    rt.logger.log("warning", `reconciliation with the chain failed (${(error as Error).message}); nothing was changed, it runs again in ${rt.config.reconcile.intervalSeconds} s`);
  }
}
