import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileBudgetStore } from "../../src/budget/fileStore.js";
import type { HistoryQuery } from "../../src/budget/types.js";
import type { Logger } from "../../src/log.js";
import { T0, fullFold, random, randomLines } from "./randomLedger.js";

const ALL: HistoryQuery = { limit: 20, sinceMs: T0 + 7 * 3600_000 + 1234, host: undefined };

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (level, message) => lines.push(`${level}: ${message}`) };
}

/** A ledger of random lines big enough for its totals file to be written at the first query. */
async function ledgerWithTotals(seed: number): Promise<{ path: string; totals: string }> {
  const path = join(mkdtempSync(join(tmpdir(), "x402-totals-")), "ledger.jsonl");
  writeFileSync(path, randomLines(random(seed), 1500, []).join(""));
  const store = await FileBudgetStore.open(path, recordingLogger());
  await store.spending(ALL);
  await store.close();
  const totals = `${path}.totals`;
  expect(existsSync(totals)).toBe(true);
  expect(statSync(totals).mode & 0o777).toBe(0o600);
  return { path, totals };
}

async function spendingWith(path: string, logger: Logger) {
  const store = await FileBudgetStore.open(path, logger);
  try {
    return await store.spending(ALL);
  } finally {
    await store.close();
  }
}

describe("the spending totals file beside the ledger", () => {
  it("is read back by a new process without a warning, and caught up on lines appended since", async () => {
    const { path } = await ledgerWithTotals(1);
    appendFileSync(path, randomLines(random(2), 200, []).join(""));
    const logger = recordingLogger();
    expect(await spendingWith(path, logger)).toEqual(fullFold(path, ALL));
    expect(logger.lines.filter((l) => l.includes("spending totals"))).toEqual([]);
  });

  it.each([
    ["cut short", (t: Buffer) => t.subarray(0, t.length >> 1), /totals .* are corrupt \((cut short|its length)\); rebuilding them from the ledger/],
    ["with a header that is not JSON", (t: Buffer) => Buffer.concat([Buffer.from("{oops"), t.subarray(t.indexOf(0x0a))]), /are corrupt \(its header is not JSON\)/],
    ["with a row out of range", (t: Buffer) => corruptColumn(t, "host", 0xff), /are corrupt \(row \d+'s/],
    // Links are checked on the rows read, not at load.
    ["with links between lines that go forward", (t: Buffer) => corruptColumn(t, "lines", 0x7f), /totals .* point to lines the ledger .* does not hold there; rebuilding them/],
  ])("is rebuilt from the ledger when %s, with a warning", async (_name, corrupt, warning) => {
    const { path, totals } = await ledgerWithTotals(3);
    writeFileSync(totals, corrupt(readFileSync(totals)));
    const logger = recordingLogger();
    expect(await spendingWith(path, logger)).toEqual(fullFold(path, ALL));
    expect(logger.lines.join("\n")).toMatch(warning);
  });

  it("is rebuilt when its ids turn out unreadable, the first time a late line needs them", async () => {
    const { path, totals } = await ledgerWithTotals(4);
    const text = readFileSync(totals);
    // The ids are the file's last bytes, a JSON array: its closing bracket becomes a letter.
    text[text.length - 1] = 0x78;
    writeFileSync(totals, text);
    appendFileSync(path, randomLines(random(5), 100, []).join(""));
    const logger = recordingLogger();
    expect(await spendingWith(path, logger)).toEqual(fullFold(path, ALL));
    expect(logger.lines.join("\n")).toMatch(/totals file .* is corrupt \(its ids\); rebuilding it from the ledger/);
  });

  it("made from another ledger is not used: the ledger was replaced by a longer one", async () => {
    const { path, totals } = await ledgerWithTotals(6);
    const other = await ledgerWithTotals(7);
    writeFileSync(path, Buffer.concat([readFileSync(other.path), Buffer.from(randomLines(random(8), 300, []).join(""))]));
    expect(statSync(path).size).toBeGreaterThan(JSON.parse(readFileSync(totals, "utf8").split("\n")[0]!).covered);
    const logger = recordingLogger();
    expect(await spendingWith(path, logger)).toEqual(fullFold(path, ALL));
    expect(logger.lines.join("\n")).toMatch(/made from other ledger bytes/);
  });

  it("in memory is rebuilt when the ledger is rewritten in place under a running store", async () => {
    const { path } = await ledgerWithTotals(9);
    const logger = recordingLogger();
    const store = await FileBudgetStore.open(path, logger);
    expect(await store.spending(ALL)).toEqual(fullFold(path, ALL));
    const other = await ledgerWithTotals(10);
    writeFileSync(path, Buffer.concat([readFileSync(other.path), Buffer.from(randomLines(random(11), 300, []).join(""))]));
    expect(await store.spending(ALL)).toEqual(fullFold(path, ALL));
    expect(logger.lines.join("\n")).toMatch(/was rewritten since its totals were read|made from other ledger bytes/);
    await store.close();
  });
});

/** The totals file's first columns in order, with the count each is sized by and its element size, then its line records (spendingTotalsFile.ts). */
const COLUMNS = [
  ["at", "rows", 8],
  ["usd", "rows", 8],
  ["bucketHour", "buckets", 8],
  ["bucketMicros", "buckets", 8],
  ["host", "rows", 4],
  ["agent", "rows", 4],
  ["lastLine", "rows", 4],
  ["bucketHost", "buckets", 4],
  ["bucketAgent", "buckets", 4],
  ["bucketPayments", "buckets", 4],
  ["bucketLatest", "buckets", 4],
  ["state", "rows", 1],
  ["lines", "lines", 16],
] as const;

/** Fills a whole column with `byte`. */
function corruptColumn(totals: Buffer, name: (typeof COLUMNS)[number][0], byte: number): Buffer {
  const newline = totals.indexOf(0x0a);
  const header = JSON.parse(totals.toString("utf8", 0, newline)) as Record<"rows" | "lines" | "buckets", number>;
  const pad = (n: number) => n + ((8 - (n % 8)) % 8);
  let at = newline + 1;
  for (const [column, count, size] of COLUMNS) {
    if (column === name) break;
    at += pad(header[count] * size);
  }
  const [, count, size] = COLUMNS.find(([column]) => column === name)!;
  const copy = Buffer.from(totals);
  copy.fill(byte, at, at + header[count] * size);
  return copy;
}
