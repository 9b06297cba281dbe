import type { Logger } from "../log.js";
import { parseLedgerLine, type LedgerEvent } from "./ledgerEvents.js";
import type { LedgerFile } from "./ledgerFile.js";
import { foldHistory } from "./ledgerHistory.js";
import { SpendingIndex } from "./spendingIndex.js";
import { CorruptTotals, encodeTotals, readTotals, writeTotals } from "./spendingTotalsFile.js";
import type { HistoryEntry, HistoryQuery, Spending } from "./types.js";

/** The ledger bytes just before what the index covers, kept with it to tell whether the ledger is still the one it was made from. */
const TAIL_BYTES = 256;
/** The totals file is written again once the ledger has grown past what it covers by this much, or by 1 %. */
const SAVE_AFTER_BYTES = 64 * 1024;

/**
 * The file store's spending answer, from a SpendingIndex kept beside the ledger in
 * `<ledger>.totals`. The index is loaded on the first query (start-up does not pay for it),
 * rebuilt from the whole ledger when that file is missing, corrupt or made from other ledger
 * bytes, and at each query caught up on the lines appended since, by any process. It is
 * written back (to a new file renamed over the old) when the ledger has grown well past
 * what the file covers, so a new process reads little of the ledger.
 */
export class FileSpending {
  private index: SpendingIndex | undefined;
  /** The ledger's bytes just before `index.covered`. */
  private tail: Buffer = Buffer.alloc(0);
  private savedCovered = 0;
  /** Queries and saves, one at a time: the index changes as it catches up. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: LedgerFile,
    private readonly logger: Logger,
  ) {}

  get path(): string {
    return `${this.file.path}.totals`;
  }

  /** The answer over the ledger up to `end` (the end of a line: where the store has caught up to). */
  query(end: number, query: HistoryQuery): Promise<Spending> {
    return this.serially(async () => {
      try {
        return await this.answer(end, query, true);
      } catch (error) {
        this.drop();
        if (!(error instanceof CorruptTotals)) throw error;
        this.logger.log("warning", error.message);
        return await this.answer(end, query, false);
      }
    });
  }

  /** Waits for a save under way. */
  async close(): Promise<void> {
    await this.queue;
    this.drop();
  }

  private drop(): void {
    this.index?.release();
    this.index = undefined;
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async answer(end: number, query: HistoryQuery, fromFile: boolean): Promise<Spending> {
    const index = await this.catchUp(end, fromFile);
    const answer = index.query(query);
    const spending = { entries: answer.rows.map((row) => this.entryOf(index, row)), byDayAndHost: answer.totals };
    // Queued behind this query, not awaited by it, and a turn of the event loop later: its
    // caller's answer is sent first.
    void this.serially(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      index.materialize();
    });
    if (index.covered - this.savedCovered >= Math.max(SAVE_AFTER_BYTES, index.covered / 100)) void this.serially(() => this.save(index));
    return spending;
  }

  private async catchUp(end: number, fromFile: boolean): Promise<SpendingIndex> {
    if (this.index && !this.holdsTail(this.index.covered, this.tail)) {
      this.logger.log("warning", `the ledger ${this.file.path} was rewritten since its totals were read; rebuilding them from the ledger`);
      this.drop();
    }
    if (!this.index) {
      const loaded = fromFile ? await readTotals(this.path) : undefined;
      if (loaded?.ok && this.holdsTail(loaded.index.covered, loaded.tail)) {
        this.index = loaded.index;
        this.tail = loaded.tail;
        this.savedCovered = loaded.index.covered;
      } else {
        if (loaded?.ok) loaded.index.release();
        if (loaded && !(!loaded.ok && loaded.reason === "missing")) {
          const why = loaded.ok ? "made from other ledger bytes (the ledger was replaced or rewritten)" : loaded.reason;
          this.logger.log("warning", `the spending totals ${this.path} are ${why}; rebuilding them from the ledger`);
        }
        this.index = new SpendingIndex();
        this.tail = Buffer.alloc(0);
        this.savedCovered = 0;
      }
    }
    const index = this.index;
    if (index.covered < end) {
      // A torn line is skipped, as foldHistory never sees it; the store reports it when it reads it.
      await this.file.scanLines(index.covered, end, (event, offset, length) => {
        if (event) index.apply(event, offset, length);
      });
      index.covered = end;
      this.tail = this.file.bytesAt(Math.max(0, end - TAIL_BYTES), Math.min(end, TAIL_BYTES));
    }
    return index;
  }

  /**
   * Whether the ledger still holds `tail` just before `covered`. Past `end` is fine: another
   * process wrote the totals file after reading lines appended since this one caught up.
   */
  private holdsTail(covered: number, tail: Buffer): boolean {
    return covered <= this.file.size() && tail.length === Math.min(covered, TAIL_BYTES) && this.file.bytesAt(covered - tail.length, tail.length).equals(tail);
  }

  /** A row's entry: foldHistory of its own lines, read where the index says they are. */
  private entryOf(index: SpendingIndex, row: number): HistoryEntry {
    const lines = index.linesOf(row);
    const events: LedgerEvent[] = [];
    for (const { offset, length } of lines ?? []) {
      const event = parseLedgerLine(this.file.bytesAt(offset, length).toString("utf8"));
      if (event) events.push(event);
    }
    const [entry] = foldHistory(events, { limit: 1, sinceMs: -Infinity, host: undefined });
    if (!entry || events.length !== lines?.length) {
      throw new CorruptTotals(`the spending totals ${this.path} point to lines the ledger ${this.file.path} does not hold there; rebuilding them from the ledger`);
    }
    return entry;
  }

  private async save(index: SpendingIndex): Promise<void> {
    if (index !== this.index) return;
    const covered = index.covered;
    try {
      await writeTotals(this.path, encodeTotals(index, this.tail));
      this.savedCovered = covered;
    } catch (error) {
      this.logger.log("warning", `could not write the spending totals ${this.path} (${(error as Error).message}); the next process to start rebuilds them from the ledger`);
    }
  }
}
