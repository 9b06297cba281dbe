/**
 * Small statistics for noisy machines: medians and a nearest-rank p95, never a mean of
 * latencies, and ratios only against a baseline measured in the same process run.
 */

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export function nowMs(): number {
  return performance.now();
}

/** How long `run` took: the time it reports itself (a client timed in its own process), or the time to its end here. */
export async function timed(run: () => Promise<number | void>): Promise<number> {
  const started = nowMs();
  const reported = await run();
  return typeof reported === "number" ? reported : nowMs() - started;
}

function sorted(values: readonly number[]): number[] {
  if (values.length === 0) throw new Error("stats: no samples");
  return [...values].sort((a, b) => a - b);
}

/** The p-th percentile by nearest rank (p in 0..100): always one of the samples. */
export function percentile(values: readonly number[], p: number): number {
  const s = sorted(values);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1] as number;
}

export function median(values: readonly number[]): number {
  const s = sorted(values);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function p95(values: readonly number[]): number {
  return percentile(values, 95);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error("stats: no samples");
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** a / b, or null when there is no baseline to divide by. */
export function ratio(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

/** The order in which to run the variants in round `round`: a rotation, so no variant always goes first. */
export function rotation<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** One line of the results table. */
export interface Row {
  scenario: string;
  variant: string;
  /** Samples behind the numbers. */
  n: number;
  median: number | null;
  p95: number | null;
  unit: string;
  /** Ratio of this row's median to its baseline's median (same run); null for a baseline row. */
  ratio: number | null;
  /** The variant the ratio is against. */
  baseline?: string;
  /** A target as written, such as "ratio ≤ 1.15" or "≤ 400 ms". */
  target?: string;
  /** Whether the target was met; undefined when the row has no target. */
  pass?: boolean;
  note?: string;
}

export interface ScenarioResult {
  rows: Row[];
  /** Free text for RESULTS.md: series, checks, caveats. */
  notes: string[];
}

/** Summarises samples (ms) into a row, with the ratio of medians against `base` when given. */
export function latencyRow(
  scenario: string,
  variant: string,
  samples: readonly number[],
  options: { base?: { variant: string; samples: readonly number[] }; target?: { ratio?: number; ms?: number }; note?: string } = {},
): Row {
  const med = median(samples);
  const r = options.base ? ratio(med, median(options.base.samples)) : null;
  const t = options.target;
  let target: string | undefined;
  let pass: boolean | undefined;
  if (t?.ratio !== undefined) {
    target = `ratio ≤ ${t.ratio}`;
    pass = r !== null && r <= t.ratio;
  } else if (t?.ms !== undefined) {
    target = `median ≤ ${t.ms} ms`;
    pass = med <= t.ms;
  }
  return {
    scenario,
    variant,
    n: samples.length,
    median: med,
    p95: p95(samples),
    unit: "ms",
    ratio: r,
    ...(options.base ? { baseline: options.base.variant } : {}),
    ...(target ? { target, pass } : {}),
    ...(options.note ? { note: options.note } : {}),
  };
}

function fmt(value: number | null, digits = 1): string {
  if (value === null) return "–";
  if (Math.abs(value) >= 1000) return value.toFixed(0);
  return value.toFixed(digits);
}

/** The results as a Markdown table (also readable on a terminal). */
export function formatTable(rows: readonly Row[]): string {
  const header = ["scenario", "variant", "n", "median", "p95", "unit", "ratio", "vs", "target", "ok", "note"];
  const lines = rows.map((r) => [
    r.scenario,
    r.variant,
    String(r.n),
    fmt(r.median),
    fmt(r.p95),
    r.unit,
    r.ratio === null ? "–" : r.ratio.toFixed(2),
    r.baseline ?? "",
    r.target ?? "",
    r.pass === undefined ? "" : r.pass ? "yes" : "NO",
    (r.note ?? "").replace(/\|/g, "/"),
  ]);
  const all = [header, ...lines];
  return all.map((cells, i) => `| ${cells.join(" | ")} |${i === 0 ? `\n|${header.map(() => " --- ").join("|")}|` : ""}`).join("\n");
}
