import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseLedgerLine } from "../src/budget/ledgerEvents.js";
import type { Rig, RigWallet } from "../test/rig/index.js";
import {
  PAID_PRICE_ATOMIC,
  benchConfig,
  envInt,
  officialFetch,
  officialPaidGet,
  startServer,
  tempDir,
  textOf,
  type BenchSession,
} from "./harness.js";
import { median, nowMs, p95, rotation, type Row, type ScenarioResult } from "./stats.js";

const NAME = "throughput";
const CALLERS = 8;
const SLICES = 3;
/** The daily cap is set to be reached after about this share of a variant's time. */
const CAP_AT = 0.6;
const FUNDING = 1_000_000_000n; // 1 000 test USDC: far above any cap, so the cap is what stops spending

interface Call {
  start: number;
  end: number;
  /** "paid", or the error code (DAILY_BUDGET_EXCEEDED, …), or "error". */
  outcome: string;
}

interface Variant {
  name: string;
  callers: (() => Promise<string>)[];
  calls: Call[];
  slices: { start: number; end: number }[];
  /** Daily cap in USD micros, when the variant has one. */
  capMicros?: bigint;
  wallet: RigWallet;
  ledger?: string;
}

/**
 * 8 concurrent callers hammering `paid_fetch` (distinct URLs), two ways: one server with 8
 * concurrent tool calls, and 8 servers sharing one ledger; and 8 official clients as the
 * baseline. Variants run in alternating slices. Our servers have a daily cap calibrated to
 * be reached part-way; afterwards every call must be refused, and the chain must show the
 * payer paid no more than the cap.
 */
export async function throughput(rig: Rig): Promise<ScenarioResult> {
  const seconds = envInt("BENCH_SECONDS", 30);
  const calibrateMs = Math.min(5, Math.max(2, seconds / 6)) * 1000;
  const notes: string[] = [];
  const sessions: BenchSession[] = [];
  let counter = 0;
  const url = (tag: string) => `${rig.v2.url}/paid?t=${tag}-${counter++}`;

  const ours = async (tag: string, wallet: RigWallet, servers: number, perDayMicros: bigint | null, ledger: string) => {
    const perDay = perDayMicros === null ? "100000" : (Number(perDayMicros) / 1e6).toFixed(2);
    const started = await Promise.all(
      Array.from({ length: servers }, () => startServer({ config: benchConfig(rig, ledger, { budget: { perDay } }), privateKey: wallet.privateKey })),
    );
    sessions.push(...started);
    return Array.from({ length: CALLERS }, (_, i) => {
      const server = started[i % servers]!;
      return async () => {
        const result = await server.call("paid_fetch", { url: url(tag) });
        if (!result.isError) return (result.structuredContent as { payment?: unknown } | undefined)?.payment ? "paid" : "unpaid";
        return /^\[([A-Z_]+)\]/.exec(textOf(result))?.[1] ?? "error";
      };
    });
  };

  try {
    // Calibration: each of our variants alone, uncapped, on throwaway ledgers and wallets.
    const calibrated: number[] = [];
    for (const [tag, servers] of [["cal1", 1], ["cal8", CALLERS]] as const) {
      const wallet = await rig.newWallet(FUNDING);
      const callers = await ours(tag, wallet, servers, null, join(tempDir("s6cal"), "ledger.jsonl"));
      const v: Variant = { name: tag, callers, calls: [], slices: [], wallet };
      await runSlice(v, calibrateMs);
      const paid = v.calls.filter((c) => c.outcome === "paid").length;
      calibrated.push(paid / (calibrateMs / 1000));
      for (const s of sessions.splice(0)) await s.close();
    }
    const capFor = (rate: number) => BigInt(Math.max(10, Math.round(rate * seconds * CAP_AT))) * PAID_PRICE_ATOMIC;

    const [w1, w8, wOfficial] = await Promise.all([rig.newWallet(FUNDING), rig.newWallet(FUNDING), rig.newWallet(FUNDING)]);
    const ledger1 = join(tempDir("s6"), "ledger.jsonl");
    const ledger8 = join(tempDir("s6"), "ledger.jsonl");
    const cap1 = capFor(calibrated[0]!);
    const cap8 = capFor(calibrated[1]!);
    const official = officialFetch(wOfficial!);
    const variants: Variant[] = [
      {
        name: `official @x402/fetch ×${CALLERS}`,
        callers: Array.from({ length: CALLERS }, () => async () => {
          try {
            await officialPaidGet(official, url("official"));
            return "paid";
          } catch {
            return "error";
          }
        }),
        calls: [],
        slices: [],
        wallet: wOfficial!,
      },
      { name: `ours, 1 server × ${CALLERS} callers`, callers: await ours("one", w1!, 1, cap1, ledger1), calls: [], slices: [], capMicros: cap1, wallet: w1!, ledger: ledger1 },
      { name: `ours, ${CALLERS} servers, 1 ledger`, callers: await ours("eight", w8!, CALLERS, cap8, ledger8), calls: [], slices: [], capMicros: cap8, wallet: w8!, ledger: ledger8 },
    ];
    const sliceMs = (seconds * 1000) / SLICES;
    for (let round = 0; round < SLICES; round++) for (const v of rotation(variants, round)) await runSlice(v, sliceMs);

    const rows: Row[] = [];
    const baseRate = paidRate(variants[0]!);
    const baseLatency = latencies(variants[0]!);
    for (const v of variants) {
      const rate = paidRate(v);
      const lat = latencies(v);
      const codes = countOutcomes(v);
      let capNote = "";
      let pass: boolean | undefined;
      if (v.capMicros !== undefined) {
        const onChain = FUNDING - (await rig.balanceOf(v.wallet.address));
        const signed = signedMicros(v.ledger!);
        const overspend = onChain > v.capMicros ? onChain - v.capMicros : 0n;
        pass = overspend === 0n && signed <= v.capMicros;
        const hit = capHitAt(v);
        capNote =
          `perDay ${usd(v.capMicros)}; ${hit === null ? "cap NOT reached" : `cap reached after ${((hit - v.slices[0]!.start) / 1000).toFixed(1)} s of its run`}; ` +
          `paid on-chain ${usd(onChain)}, signed in ledger ${usd(signed)}; overspend ${usd(overspend)}`;
        notes.push(`Throughput, ${v.name}: ${capNote}; outcomes ${fmtCounts(codes)}.`);
      } else {
        notes.push(`Throughput, ${v.name}: no cap; outcomes ${fmtCounts(codes)}.`);
      }
      rows.push({
        scenario: NAME,
        variant: `${v.name}: paid calls/s`,
        n: codes.get("paid") ?? 0,
        median: rate,
        p95: null,
        unit: "calls/s",
        ratio: v === variants[0] ? null : rate / baseRate,
        ...(v === variants[0] ? {} : { baseline: variants[0]!.name }),
        ...(pass === undefined ? {} : { target: "overspend = 0", pass }),
        note: v.capMicros === undefined ? "baseline (no cap)" : `until the cap; ${capNote}`,
      });
      rows.push({
        scenario: NAME,
        variant: `${v.name}: latency of paid calls`,
        n: lat.length,
        median: lat.length ? median(lat) : null,
        p95: lat.length ? p95(lat) : null,
        unit: "ms",
        ratio: v === variants[0] || !lat.length ? null : median(lat) / median(baseLatency),
        ...(v === variants[0] ? {} : { baseline: variants[0]!.name }),
        ...(v.capMicros !== undefined ? { note: `refusals after the cap: median ${refusalMedian(v)} ms` } : {}),
      });
    }
    notes.push(
      `Throughput: ${CALLERS} concurrent callers, ${seconds} s per variant in ${SLICES} alternating slices; calibration (uncapped, ${calibrateMs / 1000} s each) measured ` +
        `${calibrated.map((r) => r.toFixed(1)).join(" and ")} paid calls/s, and each cap was set to be reached after about ${CAP_AT * 100}% of the run. ` +
        "Paid calls/s counts the time until the cap was reached (all of it for the official client).",
    );
    return { rows, notes };
  } finally {
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
  }
}

async function runSlice(v: Variant, ms: number): Promise<void> {
  const start = nowMs();
  const end = start + ms;
  await Promise.all(
    v.callers.map(async (call) => {
      while (nowMs() < end) {
        const t = nowMs();
        let outcome: string;
        try {
          outcome = await call();
        } catch {
          outcome = "error";
        }
        v.calls.push({ start: t, end: nowMs(), outcome });
      }
    }),
  );
  v.slices.push({ start, end: nowMs() });
}

/** When the first call was refused by the daily cap, or null. */
function capHitAt(v: Variant): number | null {
  const refused = v.calls.filter((c) => c.outcome === "DAILY_BUDGET_EXCEEDED").map((c) => c.end);
  return refused.length ? Math.min(...refused) : null;
}

/** Paid calls per second of the time before the cap was reached. */
function paidRate(v: Variant): number {
  const hit = capHitAt(v) ?? Infinity;
  let activeMs = 0;
  for (const s of v.slices) activeMs += Math.max(0, Math.min(s.end, hit) - s.start);
  const paid = v.calls.filter((c) => c.outcome === "paid").length;
  return activeMs > 0 ? paid / (activeMs / 1000) : 0;
}

function latencies(v: Variant): number[] {
  return v.calls.filter((c) => c.outcome === "paid").map((c) => c.end - c.start);
}

function refusalMedian(v: Variant): string {
  const refused = v.calls.filter((c) => c.outcome === "DAILY_BUDGET_EXCEEDED").map((c) => c.end - c.start);
  return refused.length ? median(refused).toFixed(1) : "–";
}

function countOutcomes(v: Variant): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of v.calls) counts.set(c.outcome, (counts.get(c.outcome) ?? 0) + 1);
  return counts;
}

/** USD micros of every reservation in the ledger that was signed: what the caps count as spent for good. */
function signedMicros(ledger: string): bigint {
  const reserved = new Map<string, bigint>();
  const signed = new Set<string>();
  for (const line of readFileSync(ledger, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const event = parseLedgerLine(line);
    if (event?.type === "reserve") reserved.set(event.id, BigInt(event.usdMicros));
    else if (event?.type === "sign") signed.add(event.id);
  }
  let total = 0n;
  for (const id of signed) total += reserved.get(id) ?? 0n;
  return total;
}

function usd(micros: bigint): string {
  return `$${(Number(micros) / 1e6).toFixed(2)}`;
}

function fmtCounts(m: Map<string, number>): string {
  return [...m].map(([k, v]) => `${k} ×${v}`).join(", ") || "none";
}
