import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { BIG_USD, SpendingIndex, type IndexColumns } from "./spendingIndex.js";

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
  idsBytes: number;
}

/** What was read back, or why it cannot be used (the index is then rebuilt from the ledger). */
export type LoadedTotals = { ok: true; index: SpendingIndex; tail: Buffer } | { ok: false; reason: string };

/** The columns in file order: each starts on a multiple of 8 bytes. */
const COLUMNS = [
  ["at", Float64Array, "rows"],
  ["usd", Float64Array, "rows"],
  ["lineOffset", Float64Array, "lines"],
  ["host", Uint32Array, "rows"],
  ["agent", Uint32Array, "rows"],
  ["lastLine", Int32Array, "rows"],
  ["lineLength", Uint32Array, "lines"],
  ["linePrev", Int32Array, "lines"],
  ["state", Uint8Array, "rows"],
] as const;

type Column = (typeof COLUMNS)[number][0];

/** The index as the totals file holds it: a copy taken now, so the index can go on changing while it is written. */
export function encodeTotals(index: SpendingIndex, tail: Buffer): Buffer {
  const c = index.columns();
  const ids = Buffer.from(JSON.stringify(c.ids()), "utf8");
  const header: Header = {
    format: FORMAT,
    version: VERSION,
    covered: c.covered,
    tail: tail.toString("base64"),
    rows: c.rows,
    lines: c.lines,
    hosts: c.hosts,
    agents: c.agents,
    bigUsd: c.bigUsd,
    idsBytes: ids.length,
  };
  const parts: Buffer[] = [Buffer.from(`${JSON.stringify(header)}\n`, "utf8")];
  for (const [name] of COLUMNS) {
    const column = c[name];
    parts.push(Buffer.from(column.buffer, column.byteOffset, column.byteLength), Buffer.alloc(pad(column.byteLength)));
  }
  parts.push(ids);
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
 * Reads the totals file back, checking that every column has its length and every value its
 * range (a file cut short, or from another version, is refused); whether it matches the
 * ledger is the caller's check, with `tail`. The ids are decoded only when a late line needs
 * them, and checked then.
 */
export async function readTotals(path: string): Promise<LoadedTotals> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (error) {
    return { ok: false, reason: (error as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : `unreadable (${(error as Error).message})` };
  }
  const newline = file.indexOf(0x0a);
  let header: Header;
  try {
    header = JSON.parse(file.toString("utf8", 0, newline)) as Header;
  } catch {
    return { ok: false, reason: "corrupt (its header is not JSON)" };
  }
  if (header.format !== FORMAT || header.version !== VERSION) return { ok: false, reason: `of another format or version (${String(header.version)})` };
  if (![header.covered, header.rows, header.lines, header.idsBytes].every((n) => Number.isSafeInteger(n) && n >= 0)) return { ok: false, reason: "corrupt (its header's sizes)" };
  if (!Array.isArray(header.hosts) || !Array.isArray(header.agents) || !Array.isArray(header.bigUsd) || typeof header.tail !== "string") {
    return { ok: false, reason: "corrupt (its header's tables)" };
  }
  let position = newline + 1;
  const columns: Partial<Record<Column, Float64Array | Uint32Array | Int32Array | Uint8Array>> = {};
  for (const [name, Type, count] of COLUMNS) {
    const length = header[count] * Type.BYTES_PER_ELEMENT;
    if (position + length > file.length) return { ok: false, reason: "corrupt (cut short)" };
    // A copy: the file's buffer need not be aligned for the column's type.
    const column = new Type(header[count]);
    Buffer.from(column.buffer).set(file.subarray(position, position + length));
    columns[name] = column;
    position += length + pad(length);
  }
  if (position + header.idsBytes !== file.length) return { ok: false, reason: "corrupt (its length)" };
  const c = columns as Record<Column, never> & Pick<IndexColumns, Column>;
  const problem = checkColumns(header, c);
  if (problem) return { ok: false, reason: `corrupt (${problem})` };
  const idsAt = position;
  const index = SpendingIndex.fromColumns({
    ...c,
    covered: header.covered,
    rows: header.rows,
    lines: header.lines,
    hosts: header.hosts,
    agents: header.agents,
    bigUsd: header.bigUsd,
    ids: () => {
      let ids: unknown;
      try {
        ids = JSON.parse(file.toString("utf8", idsAt, idsAt + header.idsBytes));
      } catch {
        ids = undefined;
      }
      if (!Array.isArray(ids) || ids.length !== header.rows || !ids.every((id) => typeof id === "string")) {
        throw new CorruptTotals(`the totals file ${path} is corrupt (its ids); rebuilding it from the ledger`);
      }
      return ids as string[];
    },
  });
  return { ok: true, index, tail: Buffer.from(header.tail, "base64") };
}

/** The ids of a totals file turned out unreadable when first needed: the index is rebuilt. */
export class CorruptTotals extends Error {}

function checkColumns(header: Header, c: Pick<IndexColumns, Column>): string | undefined {
  const big = new Set(header.bigUsd.map(([row]) => row));
  if (!header.bigUsd.every(([row, micros]) => Number.isInteger(row) && row >= 0 && row < header.rows && /^\d{1,78}$/.test(micros))) return "its large amounts";
  if (!header.hosts.every((h) => typeof h === "string") || !header.agents.every((a) => typeof a === "string") || header.agents.length === 0) return "its hosts or agents";
  for (let row = 0; row < header.rows; row++) {
    const usd = c.usd[row]!;
    if (!Number.isFinite(c.at[row]!)) return `row ${row}'s time`;
    if (!(usd === BIG_USD ? big.has(row) : Number.isSafeInteger(usd) && usd >= 0)) return `row ${row}'s amount`;
    if (c.host[row]! >= header.hosts.length || c.agent[row]! >= header.agents.length) return `row ${row}'s host or agent`;
    if ((c.state[row]! & 3) === 3 || c.state[row]! > 7) return `row ${row}'s state`;
    if (c.lastLine[row]! < 0 || c.lastLine[row]! >= header.lines) return `row ${row}'s lines`;
  }
  for (let line = 0; line < header.lines; line++) {
    if (c.linePrev[line]! < -1 || c.linePrev[line]! >= line) return `line ${line}'s link`;
    if (!Number.isSafeInteger(c.lineOffset[line]!) || c.lineOffset[line]! < 0 || c.lineOffset[line]! + c.lineLength[line]! >= header.covered) return `line ${line}'s place`;
  }
  return undefined;
}

function pad(length: number): number {
  return (8 - (length % 8)) % 8;
}
