import { fstatSync, mkdirSync, readSync, writeSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { parseLedgerLine, type LedgerEvent } from "./ledgerEvents.js";

const NEWLINE = 0x0a;
const CHUNK_BYTES = 256 * 1024;
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;

export interface ReadResult {
  events: LedgerEvent[];
  /** Lines that were torn (a crash mid-write) or unreadable: skipped, reported, never fatal. */
  unreadable: number;
  /**
   * Bytes after the last newline: a line not finished, torn by a crash or still being
   * written by another process. Counted as unreadable, but not to be taken as read: the
   * next read starts at it again, so a line read half-written is read whole later.
   */
  partial: number;
}

/** Where a line just appended was found, and the lines before it that this process had not read. */
export interface FoundAppend {
  before: ReadResult;
  /** The position just after the line. */
  end: number;
}

/**
 * The ledger file: append-only JSONL. Reads go by byte range, so a process catches up on
 * what others appended by reading only the new bytes, and start-up reads only the tail it
 * needs, whatever the file's age.
 *
 * The size check and the append of a line are synchronous system calls: each takes
 * microseconds on a local disk (they reach the page cache), while the promise version
 * sends each through libuv's thread pool and back. Measured per reserve, sign, commit
 * cycle: 0.73 ms of CPU instead of 1.2 ms, and a reservation in 0.18 ms instead of 0.32 ms.
 * Reads of unknown length and the sync to disk stay asynchronous.
 */
export class LedgerFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<LedgerFile> {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    return new LedgerFile(path, await open(path, "a+", 0o600));
  }

  size(): number {
    return fstatSync(this.handle.fd).size;
  }

  /** Events in [from, to), in file order. */
  async readRange(from: number, to: number): Promise<ReadResult> {
    if (to <= from) return { events: [], unreadable: 0, partial: 0 };
    const buffer = Buffer.alloc(to - from);
    await this.handle.read(buffer, 0, buffer.length, from);
    return parseLines(buffer);
  }

  /**
   * The events at the end of the file back to the first one older than `sinceMs`, in file
   * order. Reads backwards in chunks, so its cost follows the window, not the history.
   */
  async readTail(end: number, sinceMs: number): Promise<ReadResult> {
    const chunks: LedgerEvent[][] = [];
    let unreadable = 0;
    let partial: number | undefined;
    let carry: Buffer = Buffer.alloc(0);
    let position = end;
    while (position > 0) {
      const start = Math.max(0, position - CHUNK_BYTES);
      const chunk = Buffer.alloc(position - start);
      await this.handle.read(chunk, 0, chunk.length, start);
      const data = Buffer.concat([chunk, carry]);
      position = start;
      // The bytes before the first newline may continue a line that starts in the earlier chunk.
      const cut = start === 0 ? -1 : data.indexOf(NEWLINE);
      if (start !== 0 && cut === -1) {
        carry = data;
        continue;
      }
      carry = start === 0 ? Buffer.alloc(0) : data.subarray(0, cut);
      const parsed = parseLines(data.subarray(cut + 1));
      unreadable += parsed.unreadable;
      // Only the first lines parsed end where the file ends; later ones end where a line does.
      partial ??= parsed.partial;
      const firstOld = findLastIndex(parsed.events, (e) => e.at < sinceMs);
      if (firstOld !== -1) {
        chunks.push(parsed.events.slice(firstOld + 1));
        break;
      }
      chunks.push(parsed.events);
    }
    return { events: chunks.reverse().flat(), unreadable, partial: partial ?? 0 };
  }

  /**
   * Every line in [from, to) with where it starts and its length without the newline, in
   * file order, parsed as parseLines parses it (`to` is the end of a line; blank lines are
   * skipped, a torn one comes as null). Read in chunks: memory stays flat whatever the range.
   */
  async scanLines(from: number, to: number, onLine: (event: LedgerEvent | null, offset: number, length: number) => void): Promise<void> {
    let position = from;
    let carry: Buffer = Buffer.alloc(0);
    while (position < to) {
      const chunk = Buffer.alloc(Math.min(SCAN_CHUNK_BYTES, to - position));
      const read = (await this.handle.read(chunk, 0, chunk.length, position)).bytesRead;
      if (read === 0) throw new Error(`the ledger ended at ${position} bytes while ${to} were expected`);
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, read)]) : chunk.subarray(0, read);
      const dataStart = position - carry.length;
      position += read;
      let start = 0;
      for (let newline = data.indexOf(NEWLINE); newline !== -1; newline = data.indexOf(NEWLINE, start)) {
        const line = data.toString("utf8", start, newline);
        if (line.trim() !== "") onLine(parseLedgerLine(line), dataStart + start, newline - start);
        start = newline + 1;
      }
      carry = data.subarray(start);
    }
    if (carry.length > 0) throw new Error(`the ledger's range up to ${to} bytes does not end with a whole line`);
  }

  /** The bytes at [position, position + length): a line whose place is known. */
  bytesAt(position: number, length: number): Buffer {
    const bytes = Buffer.alloc(length);
    const read = readSync(this.handle.fd, bytes, 0, length, position);
    return bytes.subarray(0, read);
  }

  /**
   * Appends without waiting for the disk: other processes read it from the page cache at
   * once; `sync` makes it durable. The file is open for appending (O_APPEND), so the bytes
   * land at its end, wherever that is by then, in one piece. Returns the bytes written.
   */
  append(events: LedgerEvent[], startOnNewLine: boolean): Buffer {
    const text = Buffer.from((startOnNewLine ? "\n" : "") + events.map((e) => JSON.stringify(e)).join("\n") + "\n", "utf8");
    let written = 0;
    while (written < text.length) written += writeSync(this.handle.fd, text, written);
    return text;
  }

  /** Whether `bytes` are in the file at `position`: a read of a few hundred bytes from the page cache. */
  holdsAt(position: number, bytes: Buffer): boolean {
    const found = Buffer.alloc(bytes.length);
    return readSync(this.handle.fd, found, 0, found.length, position) === bytes.length && found.equals(bytes);
  }

  /**
   * Finds `written` (an append's bytes, whose lines carry a unique id) after `from`, with the
   * lines between: what other processes appended before it. Undefined when it is not there
   * (the file was cut short meanwhile).
   */
  findAppended(from: number, written: Buffer): FoundAppend | undefined {
    const lines = written[0] === NEWLINE ? written.subarray(1) : written;
    const rest = Buffer.alloc(Math.max(0, this.size() - from));
    if (rest.length === 0) return undefined;
    const read = readSync(this.handle.fd, rest, 0, rest.length, from);
    const at = rest.subarray(0, read).indexOf(lines);
    if (at === -1) return undefined;
    return { before: parseLines(rest.subarray(0, at)), end: from + at + lines.length };
  }

  /** Flushes every append so far to disk (they survive a power loss, not only a crash). */
  sync(): Promise<void> {
    return this.handle.datasync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

function parseLines(buffer: Buffer): ReadResult {
  const events: LedgerEvent[] = [];
  let unreadable = 0;
  for (const line of buffer.toString("utf8").split("\n")) {
    if (line.trim() === "") continue;
    const event = parseLedgerLine(line);
    if (event) events.push(event);
    else unreadable++;
  }
  return { events, unreadable, partial: buffer.length - (buffer.lastIndexOf(NEWLINE) + 1) };
}

function findLastIndex<T>(items: T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i] as T)) return i;
  return -1;
}
