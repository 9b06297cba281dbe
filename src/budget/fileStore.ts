import { randomUUID } from "node:crypto";
import { CodedError, ErrorCode, isCodedError } from "../errors.js";
import type { Logger } from "../log.js";
import { assertWithinCaps } from "./caps.js";
import { FileSpending } from "./fileSpending.js";
import { foldHistory } from "./ledgerHistory.js";
import { externalEventOf, reserveEventOf, type LedgerEvent } from "./ledgerEvents.js";
import { LedgerFile, type ReadResult } from "./ledgerFile.js";
import { acquireLedgerLock, STALE_LOCK_MS, type LedgerLock } from "./ledgerLock.js";
import { DAY_MS, SpendWindow } from "./spendWindow.js";
import type {
  BudgetStore,
  ExternalTransfer,
  HistoryEntry,
  HistoryQuery,
  PaymentOutcome,
  Reservation,
  ReserveRequest,
  SignedAuthorization,
  Spending,
  Usage,
  UsageQuery,
} from "./types.js";

/**
 * Batches run back to back under one lock before it is given back: a reservation and the
 * sign line that follows it, not a whole burst, so other processes wait no longer than before.
 */
const MAX_BATCHES_PER_LOCK = 2;
/** Times an operation is run again after this process lost the lock before it wrote, before it fails. */
const MAX_LOCK_LOSSES = 3;

/** An operation waiting for the lock. `durable`: it must be on disk before it resolves. */
interface Queued {
  operation: () => Promise<unknown>;
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Times it found the lock lost before it wrote anything. */
  lockLosses: number;
}

/** Thrown before a write when the lock was taken over: nothing was written, the operation can run again under a new lock. */
class LockLost extends Error {}

/**
 * The embedded budget store: a JSONL ledger on local disk shared by every server process of
 * the user (Claude Desktop and Claude Code at once). Each operation runs under a
 * cross-process lock, first catching up on what other processes appended, so the check
 * and the reservation are one atomic step across processes.
 *
 * Operations queued while the lock is held run together under the next one, with one
 * fdatasync for all of them (group commit): parallel calls share lock cycles instead of
 * queueing for one each. Only what must survive a power loss waits for the disk: a
 * signature before its header is sent, and an outcome. A reservation or a release does not
 * (lost to a power cut, nothing had been signed for it; lost to a crash, never: the page
 * cache keeps it), and every sync flushes the appends before it.
 *
 * The ledger stays sound even if two processes each believe they hold the lock (one paused
 * past the stale age between checking its lock and writing, see ledgerLock.ts): after each
 * append, a read of the few hundred bytes where this process expected its line checks that
 * nothing was written between its catching up and its line. If something was, it reads
 * those lines, and a reservation is checked again against everything before it in the file,
 * and given back and refused if over a cap. Every line is so admitted against all that
 * precedes it in the file, whoever wrote it, and this process's place in the file moves to
 * just after its own line, never into the middle of another's.
 */
export class FileBudgetStore implements BudgetStore {
  private window = new SpendWindow();
  /** Bytes of the ledger already applied to `window`: always the end of a line. */
  private offset = 0;
  /**
   * Where the ledger ended when last read. Bytes between `offset` and here are an
   * unfinished line (torn by a crash): reported, and the next append starts a new line.
   */
  private end = 0;
  /** The lock while operations run under it. */
  private lock: LedgerLock | undefined;
  /** Appends so far: tells whether an operation wrote before it found the lock lost. */
  private appended = 0;
  private pending: Queued[] = [];
  private draining = false;
  /** Settles when the queue has run empty. */
  private idle: Promise<void> = Promise.resolve();
  private readonly spendingTotals: FileSpending;

  private constructor(
    private readonly file: LedgerFile,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {
    this.spendingTotals = new FileSpending(file, logger);
  }

  static async open(path: string, logger: Logger, now: () => number = Date.now): Promise<FileBudgetStore> {
    let file: LedgerFile;
    try {
      file = await LedgerFile.open(path);
    } catch (error) {
      throw unavailable(path, error);
    }
    const store = new FileBudgetStore(file, logger, now);
    await store.exclusive(async () => undefined, false);
    // Operations settle just before their lock is given back; open returns after both.
    await store.idle;
    return store;
  }

  reserve(request: ReserveRequest): Promise<Reservation> {
    return this.exclusive(async () => {
      const checkCaps = () =>
        assertWithinCaps({
          usdMicros: request.usdMicros,
          limits: request.limits,
          usage: this.window.usage(usageQueryFor(request), this.now()),
          url: request.meta.url,
          perCallFromCaller: request.perCallFromCaller,
        });
      checkCaps();
      const id = randomUUID();
      this.append({ ...reserveEventOf(id, request), at: this.now() }, checkCaps);
      return { id, sessionId: request.sessionId, usdMicros: request.usdMicros, request };
    }, false);
  }

  /**
   * Checks the reservation's caps again, without its own amount (what other processes spent
   * while it waited counts), then writes the sign line, from which it counts in the 24 h
   * window. Over a cap, its release is written instead and the cap's error thrown.
   */
  recordSigned(reservation: Reservation, authorization: SignedAuthorization): Promise<void> {
    return this.exclusive(async () => {
      const at = this.now();
      const { request } = reservation;
      const signed = this.window.signedAt(reservation.id, at);
      if (signed === undefined) throw givenBack(this.file.path, reservation);
      if (!signed) {
        try {
          const usage = this.window.usage(usageQueryFor(request), at, reservation.id);
          assertWithinCaps({
            usdMicros: reservation.usdMicros,
            limits: request.limits,
            usage,
            url: request.meta.url,
            perCallFromCaller: request.perCallFromCaller,
            atSigning: true,
          });
        } catch (error) {
          this.append({ type: "release", id: reservation.id, at });
          throw error;
        }
      }
      this.append({
        type: "sign",
        id: reservation.id,
        at,
        payer: authorization.payer,
        validBefore: authorization.validBefore,
        ...(authorization.nonce ? { nonce: authorization.nonce } : {}),
        ...(authorization.lastValidBlockHeight ? { lastValidBlockHeight: authorization.lastValidBlockHeight } : {}),
        ...(authorization.paymentId ? { paymentId: authorization.paymentId } : {}),
        usdMicros: reservation.usdMicros.toString(),
        sessionId: reservation.sessionId,
        host: request.meta.host,
        ...(request.meta.agent !== undefined ? { agent: request.meta.agent } : {}),
      });
    }, true);
  }

  commit(reservation: Pick<Reservation, "id">, outcome: PaymentOutcome): Promise<void> {
    return this.exclusive(async () => {
      this.append({
        type: "outcome",
        id: reservation.id,
        at: this.now(),
        status: outcome.status,
        ...(outcome.status === "rejected" ? { reason: outcome.reason } : {}),
        receipt: outcome.receipt,
      });
    }, true);
  }

  release(reservation: Reservation): Promise<void> {
    return this.exclusive(async () => this.append({ type: "release", id: reservation.id, at: this.now() }), false);
  }

  /**
   * Not waited for on disk: lost to a power cut, the payment counts its maximum, which errs
   * on the side of the caps. The window applies only what lowers a signed payment.
   */
  settleActual(reservation: Pick<Reservation, "id">, usdMicros: bigint): Promise<void> {
    return this.exclusive(
      async () => this.append({ type: "actual", id: reservation.id, at: this.now(), usdMicros: usdMicros.toString() }),
      false,
    );
  }

  /** Every process sharing the ledger applies the line when it next catches up, before its next check. */
  expire(id: string, reason: string): Promise<"expired" | "unchanged"> {
    return this.exclusive(async () => {
      const at = this.now();
      const signed = this.window.signedAt(id, at);
      if (signed === false) throw new Error(`payment ${id} was never signed; only a signed one can expire`);
      this.append({ type: "expired", id, at, reason });
      return signed ? "expired" : "unchanged";
    }, true);
  }

  recordExternal(transfer: ExternalTransfer): Promise<"recorded" | "known"> {
    return this.exclusive(async () => {
      const at = this.now();
      if (this.window.signedAt(transfer.id, at) !== undefined) return "known";
      this.append({ ...externalEventOf(transfer), at });
      return "recorded";
    }, true);
  }

  async usage(query: UsageQuery): Promise<Usage> {
    // Nothing appended since this process last caught up: its totals are the ledger's, no lock needed.
    let unchanged = false;
    try {
      unchanged = this.file.size() === this.end;
    } catch {
      // Unknown: the locked path below reports what is wrong.
    }
    if (unchanged) return this.window.usage(query, this.now());
    return this.exclusive(async () => this.window.usage(query, this.now()), false);
  }

  async history(query: HistoryQuery): Promise<HistoryEntry[]> {
    // The lock only fixes where the ledger ends; the bytes before that never change (append-only),
    // so a long read holds up no payment, here or in another process.
    const end = await this.exclusive(async () => this.offset, false);
    const { events } = await this.file.readTail(end, query.sinceMs);
    return foldHistory(events, query);
  }

  /** From the totals kept beside the ledger, caught up on what every process appended (see FileSpending). */
  async spending(query: HistoryQuery): Promise<Spending> {
    const end = await this.exclusive(async () => this.offset, false);
    return this.spendingTotals.query(end, query);
  }

  async close(): Promise<void> {
    await this.idle;
    await this.spendingTotals.close();
    await this.file.close();
  }

  /** Queues an operation to run under the cross-process lock, after catching up on the ledger. */
  private exclusive<T>(operation: () => Promise<T>, durable: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ operation, durable, resolve: resolve as (value: unknown) => void, reject, lockLosses: 0 });
      if (!this.draining) {
        this.draining = true;
        this.idle = this.drain();
      }
    });
  }

  /** Runs every queued operation, in batches: all that queued while the previous batch ran. */
  private async drain(): Promise<void> {
    while (this.pending.length > 0) await this.runUnderLock();
    // No await between the empty check above and this: an operation queued from now on starts a new drain.
    this.draining = false;
  }

  /**
   * Takes the lock and runs queued batches under it. After a batch settles, one turn of the
   * event loop lets its callers queue what follows at once (a reservation is followed by
   * its sign line), which then runs under the same lock instead of waiting for the lock to
   * be given back and taken again. At most MAX_BATCHES_PER_LOCK, so a hold stays short.
   */
  private async runUnderLock(): Promise<void> {
    let lock: LedgerLock;
    try {
      lock = await acquireLedgerLock(this.file.path, (message) => this.logger.log("warning", message));
    } catch (error) {
      for (const queued of this.pending.splice(0)) queued.reject(unavailable(this.file.path, error));
      return;
    }
    this.lock = lock;
    try {
      for (let batches = 1; ; batches++) {
        if (!(await this.runBatch(this.pending.splice(0)))) break;
        if (batches === MAX_BATCHES_PER_LOCK) break;
        await new Promise((resolve) => setImmediate(resolve));
        if (this.pending.length === 0) break;
      }
    } finally {
      this.lock = undefined;
      // Removed after the operations it guarded have settled: the unlink (a journal write)
      // runs in libuv's pool while their callers go on.
      await lock.release().catch((error: Error) =>
        this.logger.log("error", `could not remove the ledger lock ${this.file.path}.lock (${error.message}); other processes will wait until it is stale`),
      );
    }
  }

  /**
   * Runs a batch under one sync, then settles each operation. Never throws. False when the
   * lock was found lost: the operations from the one that found it on are queued again, to
   * run under a new lock after catching up (they wrote nothing).
   */
  private async runBatch(batch: Queued[]): Promise<boolean> {
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    let ran = batch.length;
    try {
      await this.catchUp();
      for (const [i, queued] of batch.entries()) {
        const appendedBefore = this.appended;
        try {
          outcomes.push({ ok: true, value: await queued.operation() });
        } catch (error) {
          if (error instanceof LockLost && this.appended === appendedBefore) {
            ran = i;
            break;
          }
          outcomes.push({ ok: false, error: isCodedError(error) ? error : unavailable(this.file.path, error) });
        }
      }
      if (batch.some((queued, i) => queued.durable && outcomes[i]?.ok)) await this.file.sync();
    } catch (error) {
      // Catching up or the sync failed: no operation of the batch can be trusted to have happened durably.
      outcomes.length = 0;
      for (let i = 0; i < ran; i++) outcomes.push({ ok: false, error: unavailable(this.file.path, error) });
    }
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) batch[i]!.resolve(outcome.value);
      else batch[i]!.reject(outcome.error);
    });
    const again = batch.slice(ran).filter((queued) => {
      if (++queued.lockLosses < MAX_LOCK_LOSSES) return true;
      queued.reject(unavailable(this.file.path, new Error(`this process lost the lock ${MAX_LOCK_LOSSES} times in a row: it was paused, or its event loop blocked, for over ${STALE_LOCK_MS / 1000} s each time`)));
      return false;
    });
    this.pending.unshift(...again);
    return ran === batch.length;
  }

  private async catchUp(): Promise<void> {
    const size = this.file.size();
    if (size < this.end) {
      this.logger.log("warning", `the ledger ${this.file.path} shrank; reloading it`);
      this.window = new SpendWindow();
      this.offset = 0;
      this.end = 0;
    }
    if (size === this.end) return;
    const read =
      this.offset === 0
        ? await this.file.readTail(size, this.now() - DAY_MS)
        : await this.file.readRange(this.offset, size);
    this.applyRead(read);
    this.offset = size - read.partial;
    this.end = size;
  }

  private applyRead(read: ReadResult): void {
    for (const event of read.events) this.window.apply(event);
    if (read.unreadable > 0) {
      this.logger.log(
        "warning",
        `the ledger ${this.file.path} has ${read.unreadable} unreadable line(s), most likely a write cut short by a crash; they were skipped and every other entry was kept`,
      );
    }
  }

  /**
   * Appends a line, if the lock is still this process's (see LockLost). `recheck` runs again
   * should another process's lines turn out to precede this one that this process had not
   * read: throwing, it has the line given back (a reservation over a cap).
   */
  private append(event: LedgerEvent, recheck?: () => void): void {
    if (!this.lock?.held()) throw new LockLost();
    this.write(event, recheck);
  }

  private write(event: LedgerEvent, recheck?: () => void): void {
    const expectedAt = this.end;
    const written = this.file.append([event], this.end > this.offset);
    this.appended++;
    if (this.file.holdsAt(expectedAt, written)) {
      // Nothing came between: an unfinished line before it is a torn one, reported already.
      this.window.apply(event);
      this.offset = this.end = expectedAt + written.length;
      return;
    }
    const found = this.file.findAppended(this.offset, written);
    if (!found) throw new Error(`a line just written to ${this.file.path} is not in it: the file was cut short meanwhile`);
    this.logger.log(
      "warning",
      `another process wrote to the ledger ${this.file.path} while this one held its lock (one of them was paused past ${STALE_LOCK_MS / 1000} s); this process's entry was checked again after theirs`,
    );
    this.applyRead(found.before);
    this.offset = this.end = found.end;
    try {
      recheck?.();
    } catch (error) {
      this.window.apply(event);
      // Written whether or not the lock is still held: a release gives back only this
      // process's own reservation, which nothing was signed for.
      this.write({ type: "release", id: event.id, at: this.now() });
      throw error;
    }
    this.window.apply(event);
  }
}

/** The usage a reservation is checked against: its session, hosts and agent. */
export function usageQueryFor(request: ReserveRequest): UsageQuery {
  return { sessionId: request.sessionId, hostPatterns: request.limits.hosts.map((h) => h.pattern), agent: request.limits.agent?.name };
}

function givenBack(path: string, reservation: Reservation): CodedError {
  return new CodedError(
    ErrorCode.BUDGET_STORE_UNAVAILABLE,
    `The reservation for this payment no longer counts in the ledger at ${path} (it was released, or reserved more than 24 hours ago), so the signed payment was not sent and nothing was paid. Retry the call.`,
    { reservation: reservation.id },
  );
}

function unavailable(path: string, error: unknown): CodedError {
  return new CodedError(
    ErrorCode.BUDGET_STORE_UNAVAILABLE,
    `The spending ledger at ${path} cannot be used (${(error as Error).message}); nothing was sent and nothing was paid. Check that the file and its folder are writable and not held by a stuck process, or set "ledger" in the config to another path.`,
    { path },
  );
}
