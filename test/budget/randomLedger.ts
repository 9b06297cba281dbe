import { readFileSync } from "node:fs";
import { parseLedgerLine, type LedgerEvent } from "../../src/budget/ledgerEvents.js";
import { foldHistory } from "../../src/budget/ledgerHistory.js";
import { spendingOf } from "../../src/budget/spendingOf.js";
import type { HistoryQuery, Spending } from "../../src/budget/types.js";
import { receipt } from "./storeContract.js";

export const HOUR = 3600_000;
/** An hour boundary: `since` values around it cut hours and days. */
export const T0 = Date.UTC(2026, 11, 1, 0, 0, 0);
const HOSTS = ["api.test", "a.example.com", "b.example.com", "example.com", "img.test"];
const AGENTS = [undefined, undefined, "alice", "bob", ""];
const STATUSES = ["settled", "unconfirmed", "verified", "mismatch", "rejected"] as const;

/** Deterministic per seed, so a failure names the seed that reproduces it. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a full fold of every whole line of the ledger gives: the answer the totals must equal. */
export function fullFold(path: string, query: HistoryQuery): Spending {
  const text = readFileSync(path, "utf8");
  const whole = text.slice(0, text.lastIndexOf("\n") + 1);
  const events = whole.split("\n").flatMap((line) => (line.trim() === "" ? [] : [parseLedgerLine(line)].filter((e): e is LedgerEvent => e !== null)));
  return spendingOf(foldHistory(events, { ...query, limit: Number.MAX_SAFE_INTEGER }), query.limit);
}

/** A query that cuts hours (and sometimes days) at random, filters by host and agent at random. */
export function randomQuery(rand: () => number, around: number, spanHours: number): HistoryQuery {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const sinceHour = around + Math.floor((rand() - 0.3) * spanHours) * HOUR;
  const since = pick([-Infinity, 0, sinceHour, sinceHour + Math.floor(rand() * HOUR), sinceHour - 1, sinceHour + 1]);
  return {
    limit: pick([1, 3, 20, 1000]),
    sinceMs: since,
    host: pick([undefined, undefined, "api.test", "*.example.com", "example.com", "nowhere.test"]),
    agent: pick([undefined, undefined, "alice", "", "nobody"]),
  };
}

/**
 * Random ledger lines: payments reserved, signed, with outcomes (settled, then verified…),
 * released (before or after signing), lowered by `actual`, expired; and what real ledgers
 * hold besides: lines for unknown ids, a reserve line repeated, external transfers, torn
 * lines, blank lines, amounts past 2^53, times out of order (or, with a clock, in order) and on hour boundaries.
 */
export function randomLines(rand: () => number, count: number, ids: string[], clock?: { now: number }): string[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const someId = () => (ids.length === 0 || rand() < 0.05 ? `unknown-${Math.floor(rand() * 5)}` : ids[Math.floor(ids.length - 1 - Math.floor(rand() ** 3 * ids.length))]!);
  // With a clock, times only go up (one writer's clock), sometimes to an hour's first millisecond.
  const ordered = () => (clock!.now = rand() < 0.1 ? Math.ceil((clock!.now + 1) / HOUR) * HOUR : clock!.now + Math.floor(rand() * 40 * 60_000));
  const at = () => (clock ? ordered() : rand() < 0.2 ? T0 + Math.floor(rand() * 48) * HOUR + pick([0, -1, 1]) : T0 + Math.floor(rand() * 48 * HOUR));
  const micros = () => (rand() < 0.03 ? (2n ** 60n + BigInt(Math.floor(rand() * 1000))).toString() : String(Math.floor(rand() * 50_000)));
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = rand();
    let event: LedgerEvent | undefined;
    if (r < 0.3) {
      const id = rand() < 0.03 && ids.length > 0 ? pick(ids) : `p${ids.length}-${Math.floor(rand() * 1e9)}`;
      if (!ids.includes(id)) ids.push(id);
      const host = pick(HOSTS);
      const agent = pick(AGENTS);
      event = {
        type: "reserve",
        id,
        at: at(),
        sessionId: "s",
        ...(agent !== undefined ? { agent } : {}),
        url: `https://${host}/x`,
        host,
        network: "eip155:84532",
        asset: "0xA",
        amountAtomic: "10000",
        usdMicros: micros(),
        payTo: "0xB",
      };
    } else if (r < 0.45) event = { type: "sign", id: someId(), at: at(), payer: pick(["0xC", "0xD"]), validBefore: 2_000_000_000, nonce: "0x01" };
    else if (r < 0.6) {
      const status = pick(STATUSES);
      event = { type: "outcome", id: someId(), at: at(), status, ...(status === "rejected" ? { reason: "no" } : {}), receipt: receipt(status) };
    } else if (r < 0.7) event = { type: "release", id: someId(), at: at() };
    else if (r < 0.78) event = { type: "actual", id: someId(), at: at(), usdMicros: micros() };
    else if (r < 0.85) event = { type: "expired", id: someId(), at: at(), reason: pick(["unused", "validBefore passed"]) };
    if (event) {
      lines.push(`${JSON.stringify(event)}\n`);
      continue;
    }
    if (r < 0.9) {
      // Torn: the start of a line, cut where a crash would cut it, then the next append's newline.
      const whole = JSON.stringify({ type: "reserve", id: `torn-${i}`, at: at(), sessionId: "s", url: "https://api.test/x", host: "api.test", network: "n", asset: "a", amountAtomic: "1", usdMicros: "1", payTo: "b" });
      lines.push(`${whole.slice(0, Math.floor(rand() * whole.length))}\n`);
    } else if (r < 0.93) lines.push(pick(["\n", "  \n", "not json\n", '{"type":"sign"}\n']));
    else lines.push(`${JSON.stringify({ type: "external", id: rand() < 0.5 ? someId() : `ext-${i}`, at: at(), network: "n", asset: "a", transaction: "0x1", to: "0x2", amountAtomic: "5", usdMicros: "5", blockAt: T0 })}\n`);
  }
  return lines;
}

