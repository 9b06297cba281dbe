/** One line's place in the ledger, and the line of the same payment before it (-1: none). */
export interface LinePlace {
  offset: number;
  length: number;
  prev: number;
}

/** Bytes per line in a totals file: offset (f64), length (u32), previous line (i32), little-endian. */
export const LINE_RECORD_BYTES = 16;

/** Lines kept in a totals file, read from it one at a time as they are asked for. */
export interface StoredLines {
  count: number;
  /** Reads line `line`'s record into `into` (LINE_RECORD_BYTES long). */
  read(line: number, into: Buffer): void;
  /** Every record, in order. */
  readAll(): Buffer;
}

/**
 * Where each payment's lines are in the ledger. Those of a totals file stay on disk until
 * asked for: a query reads a few dozen (its newest entries), not the hundreds of thousands
 * a long ledger has; lines added since are kept in memory.
 */
export class LineTable {
  private added = Buffer.alloc(64 * LINE_RECORD_BYTES);
  private addedCount = 0;
  private readonly record = Buffer.alloc(LINE_RECORD_BYTES);

  constructor(private readonly stored?: StoredLines) {}

  get count(): number {
    return (this.stored?.count ?? 0) + this.addedCount;
  }

  add(offset: number, length: number, prev: number): number {
    const line = this.count;
    if ((this.addedCount + 1) * LINE_RECORD_BYTES > this.added.length) {
      const bigger = Buffer.alloc(this.added.length * 2);
      this.added.copy(bigger);
      this.added = bigger;
    }
    writeRecord(this.added, this.addedCount * LINE_RECORD_BYTES, offset, length, prev);
    this.addedCount++;
    return line;
  }

  get(line: number): LinePlace {
    const base = this.stored?.count ?? 0;
    if (line < base) {
      this.stored!.read(line, this.record);
      return readRecord(this.record, 0);
    }
    return readRecord(this.added, (line - base) * LINE_RECORD_BYTES);
  }

  /** Every line's record, for the totals file. */
  encoded(): Buffer {
    const added = this.added.subarray(0, this.addedCount * LINE_RECORD_BYTES);
    return this.stored ? Buffer.concat([this.stored.readAll(), added]) : Buffer.from(added);
  }
}

function writeRecord(into: Buffer, at: number, offset: number, length: number, prev: number): void {
  into.writeDoubleLE(offset, at);
  into.writeUInt32LE(length, at + 8);
  into.writeInt32LE(prev, at + 12);
}

function readRecord(from: Buffer, at: number): LinePlace {
  return { offset: from.readDoubleLE(at), length: from.readUInt32LE(at + 8), prev: from.readInt32LE(at + 12) };
}
