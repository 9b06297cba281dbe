import { randomUUID } from "node:crypto";
import { CodedError, ErrorCode, isCodedError } from "../errors.js";
import type { Logger } from "../log.js";
import { assertWithinCaps } from "./caps.js";
import { foldHistory } from "./ledgerHistory.js";
import type { LedgerEvent } from "./ledgerEvents.js";
import { LedgerFile } from "./ledgerFile.js";
import { acquireLedgerLock } from "./ledgerLock.js";
import { DAY_MS, SpendWindow } from "./spendWindow.js";
import type {
  BudgetStore,
  HistoryEntry,
  HistoryQuery,
  PaymentOutcome,
  Reservation,
  ReserveRequest,
  SignedAuthorization,
  Usage,
  UsageQuery,
} from "./types.js";

/**
 * Batches run back to back under one lock before it is given back: a reservation and the
 * sign line that follows it, not a whole burst, so other processes wait no longer than before.
 */
const MAX_BATCHES_PER_LOCK = 2;

/** An operation waiting for the lock. `durable`: it must be on disk before it resolves. */
interface Queued {
  operation: () => Promise<unknown>;
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

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
 */
export class FileBudgetStore implements BudgetStore {
  private window = new SpendWindow();
  /** Bytes of the ledger already applied to `window`. */
  private offset = 0;
  /** The file ends mid-line (a write torn by a crash): the next append starts a new line. */
  private tornTail = false;
  private pending: Queued[] = [];
  private draining = false;
  /** Settles when the queue has run empty. */
  private idle: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: LedgerFile,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

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
      const usage = this.window.usage(usageQueryFor(request), this.now());
      assertWithinCaps({
        usdMicros: request.usdMicros,
        limits: request.limits,
        usage,
        url: request.meta.url,
        perCallFromCaller: request.perCallFromCaller,
      });
      const id = randomUUID();
      this.append({
        type: "reserve",
        id,
        at: this.now(),
        sessionId: request.sessionId,
        ...(request.meta.agent !== undefined ? { agent: request.meta.agent } : {}),
        url: request.meta.url,
        host: request.meta.host,
        network: request.meta.network,
        asset: request.meta.asset,
        amountAtomic: request.meta.amountAtomic.toString(),
        usdMicros: request.usdMicros.toString(),
        payTo: request.meta.payTo,
      });
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
        usdMicros: reservation.usdMicros.toString(),
        sessionId: reservation.sessionId,
        host: request.meta.host,
        ...(request.meta.agent !== undefined ? { agent: request.meta.agent } : {}),
      });
    }, true);
  }

  commit(reservation: Reservation, outcome: PaymentOutcome): Promise<void> {
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

  async usage(query: UsageQuery): Promise<Usage> {
    // Nothing appended since this process last caught up: its totals are the ledger's, no lock needed.
    let unchanged = false;
    try {
      unchanged = this.file.size() === this.offset;
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

  async close(): Promise<void> {
    await this.idle;
    await this.file.close();
  }

  /** Queues an operation to run under the cross-process lock, after catching up on the ledger. */
  private exclusive<T>(operation: () => Promise<T>, durable: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ operation, durable, resolve: resolve as (value: unknown) => void, reject });
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
    let unlock: () => Promise<void>;
    try {
      unlock = await acquireLedgerLock(this.file.path, (message) => this.logger.log("error", message));
    } catch (error) {
      for (const queued of this.pending.splice(0)) queued.reject(unavailable(this.file.path, error));
      return;
    }
    try {
      for (let batches = 1; ; batches++) {
        await this.runBatch(this.pending.splice(0));
        if (batches === MAX_BATCHES_PER_LOCK) break;
        await new Promise((resolve) => setImmediate(resolve));
        if (this.pending.length === 0) break;
      }
    } finally {
      // Removed after the operations it guarded have settled: the rmdir (a journal write)
      // runs in libuv's pool while their callers go on.
      await unlock().catch((error: Error) =>
        this.logger.log("error", `could not remove the ledger lock ${this.file.path}.lock (${error.message}); other processes will wait until it is stale`),
      );
    }
  }

  /** Runs a batch under one sync, then settles each operation. Never throws. */
  private async runBatch(batch: Queued[]): Promise<void> {
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      await this.catchUp();
      for (const queued of batch) {
        try {
          outcomes.push({ ok: true, value: await queued.operation() });
        } catch (error) {
          outcomes.push({ ok: false, error: isCodedError(error) ? error : unavailable(this.file.path, error) });
        }
      }
      if (batch.some((queued, i) => queued.durable && outcomes[i]?.ok)) await this.file.sync();
    } catch (error) {
      // Catching up or the sync failed: no operation of the batch can be trusted to have happened durably.
      outcomes.length = 0;
      for (let i = 0; i < batch.length; i++) outcomes.push({ ok: false, error: unavailable(this.file.path, error) });
    }
    batch.forEach((queued, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) queued.resolve(outcome.value);
      else queued.reject(outcome.error);
    });
  }

  private async catchUp(): Promise<void> {
    const size = this.file.size();
    if (size < this.offset) {
      this.logger.log("warning", `the ledger ${this.file.path} shrank; reloading it`);
      this.window = new SpendWindow();
      this.offset = 0;
    }
    if (size === this.offset) return;
    const read =
      this.offset === 0
        ? await this.file.readTail(size, this.now() - DAY_MS)
        : await this.file.readRange(this.offset, size);
    for (const event of read.events) this.window.apply(event);
    this.tornTail = await this.file.endsMidLine(size);
    if (read.unreadable > 0) {
      this.logger.log(
        "warning",
        `the ledger ${this.file.path} has ${read.unreadable} unreadable line(s), most likely a write cut short by a crash; they were skipped and every other entry was kept`,
      );
    }
    this.offset = size;
  }

  private append(event: LedgerEvent): void {
    const bytes = this.file.append([event], this.tornTail);
    this.tornTail = false;
    this.window.apply(event);
    this.offset += bytes;
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
