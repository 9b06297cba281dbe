import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { HOUR_MS } from "./spendingBuckets.js";
import { SpendingIndex } from "./spendingIndex.js";
import { BIG_USD, type IndexColumns } from "./spendingIndexColumns.js";
import { LINE_RECORD_BYTES, LineTable } from "./spendingLines.js";

const FORMAT = "x402-wallet spending totals";
const VERSION = 1;

/** The totals file's first line: what the columns after it hold, and which ledger bytes they cover. */
interface Header {
  format: string;
  version: number;
  covered: number;
  /** The ledger's last bytes before `covered` (base64): a file made from another ledger, or from this one before it was rewritten, is not used. */
  tail: string;
  rows: number;
  lines: number;
  hosts: string[];
  agents: string[];
  bigUsd: [number, string][];
  buckets: number;
  bigBuckets: [number, string][];
  idsBytes: number;
}

/** What was read back, or why it cannot be used (the index is then rebuilt from the ledger). */
export type LoadedTotals = { ok: true; index: SpendingIndex; tail: Buffer } | { ok: false; reason: string };

/**
 * The columns read at once, in file order, each starting on a multiple of 8 bytes. After
 * them come the line records (LINE_RECORD_BYTES each) and the ids (a JSON array), which are
 * read only when needed: a query reads a few dozen lines, and ids only when lines are added.
 */
const COLUMNS = [
  ["at", Float64Array, "rows"],
  ["usd", Float64Array, "rows"],
  ["bucketHour", Float64Array, "buckets"],
  ["bucketMicros", Float64Array, "buckets"],
  ["host", Uint32Array, "rows"],
  ["agent", Uint32Array, "rows"],
  ["lastLine", Int32Array, "rows"],
  ["bucketHost", Uint32Array, "buckets"],
  ["bucketAgent", Uint32Array, "buckets"],
  ["bucketPayments", Uint32Array, "buckets"],
  ["bucketLatest", Int32Array, "buckets"],
  ["state", Uint8Array, "rows"],
] as const;

type Column = (typeof COLUMNS)[number][0];

/** The index as the totals file holds it: a copy taken now, so the index can go on changing while it is written. */
export function encodeTotals(index: SpendingIndex, tail: Buffer): Buffer {
  const c = index.columns();
  const ids = Buffer.from(JSON.stringify(c.ids()), "utf8");
  const lines = c.lines.encoded();
  const header: Header = {
    format: FORMAT,
    version: VERSION,
    covered: c.covered,
    tail: tail.toString("base64"),
    rows: c.rows,
    lines: lines.length / LINE_RECORD_BYTES,
    hosts: c.hosts,
    agents: c.agents,
    bigUsd: c.bigUsd,
    buckets: c.buckets,
    bigBuckets: c.bigBuckets,
    idsBytes: ids.length,
  };
  const parts: Buffer[] = [Buffer.from(`${JSON.stringify(header)}\n`, "utf8")];
  for (const [name] of COLUMNS) {
    const column = c[name];
    parts.push(Buffer.from(column.buffer, column.byteOffset, column.byteLength), Buffer.alloc(pad(column.byteLength)));
  }
  parts.push(lines, ids);
  return Buffer.concat(parts);
}

/** Writes a new file and renames it over the old one, so a reader sees either whole. */
export async function writeTotals(path: string, encoded: Buffer): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temporary, encoded, { mode: 0o600 });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Reads the totals file back, each column straight into its array, checking that every
 * column has its length and every value its range (a file cut short, or from another
 * version, is refused); whether it matches the ledger is the caller's check, with `tail`.
 * The ids are parsed only when a late line needs them, and checked then.
 */
export async function readTotals(path: string): Promise<LoadedTotals> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    return { ok: false, reason: (error as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : `unreadable (${(error as Error).message})` };
  }
  let loaded: LoadedTotals;
  try {
    loaded = readOpen(path, fd);
  } catch (error) {
    loaded = { ok: false, reason: `unreadable (${(error as Error).message})` };
  }
  // A loaded index reads its lines and ids from this descriptor later, even if the file is
  // replaced by a newer one meanwhile; it closes it when it is dropped.
  if (!loaded.ok) closeSync(fd);
  return loaded;
}

function readOpen(path: string, fd: number): LoadedTotals {
  const size = fstatSync(fd).size;
  const read = (into: Uint8Array, position: number) => readSync(fd, into, 0, into.length, position) === into.length;
  // The header's length is not known before it is read: most fit in the first read.
  let head = Buffer.alloc(Math.min(size, 256 * 1024));
  if (!read(head, 0)) return { ok: false, reason: "corrupt (cut short)" };
  let newline = head.indexOf(0x0a);
  if (newline === -1 && head.length < size) {
    head = Buffer.alloc(size);
    if (!read(head, 0)) return { ok: false, reason: "corrupt (cut short)" };
    newline = head.indexOf(0x0a);
  }
  if (newline === -1) return { ok: false, reason: "corrupt (cut short)" };
  let header: Header;
  try {
    header = JSON.parse(head.toString("utf8", 0, newline)) as Header;
  } catch {
    return { ok: false, reason: "corrupt (its header is not JSON)" };
  }
  if (header.format !== FORMAT || header.version !== VERSION) return { ok: false, reason: `of another format or version (${String(header.version)})` };
  if (![header.covered, header.rows, header.lines, header.buckets, header.idsBytes].every((n) => Number.isSafeInteger(n) && n >= 0)) return { ok: false, reason: "corrupt (its header's sizes)" };
  if (![header.hosts, header.agents, header.bigUsd, header.bigBuckets].every(Array.isArray) || typeof header.tail !== "string") {
    return { ok: false, reason: "corrupt (its header's tables)" };
  }
  let position = newline + 1;
  const columns: Partial<Record<Column, Float64Array<ArrayBuffer> | Uint32Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>> = {};
  for (const [name, Type, count] of COLUMNS) {
    const column = uninitialized(Type, header[count]);
    if (position + column.byteLength > size || !read(new Uint8Array(column.buffer), position)) return { ok: false, reason: "corrupt (cut short)" };
    columns[name] = column;
    position += column.byteLength + pad(column.byteLength);
  }
  const linesAt = position;
  const idsAt = linesAt + header.lines * LINE_RECORD_BYTES;
  if (idsAt + header.idsBytes !== size) return { ok: false, reason: "corrupt (its length)" };
  const c = columns as Pick<IndexColumns, Column>;
  const problem = checkColumns(header, c);
  if (problem) return { ok: false, reason: `corrupt (${problem})` };
  const readOrThrow = (into: Buffer, at: number) => {
    if (!read(into, at)) throw new CorruptTotals(`the totals file ${path} is corrupt (cut short); rebuilding it from the ledger`);
    return into;
  };
  let inTimeOrder = true;
  for (let row = 1; row < header.rows && inTimeOrder; row++) inTimeOrder = c.at[row - 1]! <= c.at[row]!;
  const index = SpendingIndex.fromColumns({
    ...c,
    inTimeOrder,
    covered: header.covered,
    rows: header.rows,
    hosts: header.hosts,
    agents: header.agents,
    bigUsd: header.bigUsd,
    buckets: header.buckets,
    bigBuckets: header.bigBuckets,
    lines: new LineTable({
      count: header.lines,
      read: (line, into) => readOrThrow(into, linesAt + line * LINE_RECORD_BYTES),
      readAll: () => readOrThrow(Buffer.alloc(header.lines * LINE_RECORD_BYTES), linesAt),
    }),
    ids: () => {
      let ids: unknown;
      try {
        ids = JSON.parse(readOrThrow(Buffer.alloc(header.idsBytes), idsAt).toString("utf8"));
      } catch {
        ids = undefined;
      }
      if (!Array.isArray(ids) || ids.length !== header.rows || !ids.every((id) => typeof id === "string")) {
        throw new CorruptTotals(`the totals file ${path} is corrupt (its ids); rebuilding it from the ledger`);
      }
      return ids as string[];
    },
    release: () => closeSync(fd),
  });
  return { ok: true, index, tail: Buffer.from(header.tail, "base64") };
}

/** The ids of a totals file turned out unreadable when first needed: the index is rebuilt. */
export class CorruptTotals extends Error {}

function checkColumns(header: Header, c: Pick<IndexColumns, Column>): string | undefined {
  const big = new Set(header.bigUsd.map(([row]) => row));
  if (!header.bigUsd.every(([row, micros]) => Number.isInteger(row) && row >= 0 && row < header.rows && /^\d{1,78}$/.test(micros))) return "its large amounts";
  if (!header.hosts.every((h) => typeof h === "string") || !header.agents.every((a) => typeof a === "string") || header.agents.length === 0) return "its hosts or agents";
  const bigBuckets = new Set(header.bigBuckets.map(([i]) => i));
  if (!header.bigBuckets.every(([i, micros]) => Number.isInteger(i) && i >= 0 && i < header.buckets && /^\d{1,80}$/.test(micros))) return "its large sums";
  for (let i = 0; i < header.buckets; i++) {
    const micros = c.bucketMicros[i]!;
    if (!Number.isSafeInteger(c.bucketHour[i]!) || !Number.isFinite(c.bucketHour[i]! * HOUR_MS)) return `sum ${i}'s hour`;
    if (c.bucketHost[i]! >= header.hosts.length || c.bucketAgent[i]! >= header.agents.length) return `sum ${i}'s host or agent`;
    if (!(micros === BIG_USD ? bigBuckets.has(i) : Number.isSafeInteger(micros) && micros >= 0)) return `sum ${i}'s amount`;
    if (c.bucketLatest[i]! < -1 || c.bucketLatest[i]! >= header.rows) return `sum ${i}'s newest payment`;
  }
  // Plain comparisons, one column at a time: loops the engine compiles at once, as this runs on a cold start.
  const { at, usd, host, agent, state, lastLine } = c;
  const hosts = header.hosts.length;
  const agents = header.agents.length;
  for (let row = 0; row < header.rows; row++) if (!(at[row]! - at[row]! === 0)) return `row ${row}'s time`;
  for (let row = 0; row < header.rows; row++) {
    const micros = usd[row]!;
    if (!(micros >= 0 && micros <= Number.MAX_SAFE_INTEGER && micros % 1 === 0) && !(micros === BIG_USD && big.has(row))) return `row ${row}'s amount`;
  }
  for (let row = 0; row < header.rows; row++) if (host[row]! >= hosts || agent[row]! >= agents) return `row ${row}'s host or agent`;
  for (let row = 0; row < header.rows; row++) if ((state[row]! & 3) === 3 || state[row]! > 7) return `row ${row}'s state`;
  for (let row = 0; row < header.rows; row++) if (lastLine[row]! < 0 || lastLine[row]! >= header.lines) return `row ${row}'s lines`;
  return undefined;
}

/** An array to read into: not zeroed first, as every byte is read over. */
function uninitialized(Type: Float64ArrayConstructor | Uint32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor, length: number) {
  // allocUnsafeSlow is never taken from the shared pool: its own memory, at offset 0, aligned for any type.
  const bytes = Buffer.allocUnsafeSlow(length * Type.BYTES_PER_ELEMENT);
  return new Type(bytes.buffer as ArrayBuffer, bytes.byteOffset, length);
}

function pad(length: number): number {
  return (8 - (length % 8)) % 8;
}
