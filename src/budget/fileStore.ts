import { randomUUID } from "node:crypto";
import lockfile from "proper-lockfile";
import { CodedError, ErrorCode, isCodedError } from "../errors.js";
import type { Logger } from "../log.js";
import { assertWithinCaps } from "./caps.js";
import { foldHistory } from "./ledgerHistory.js";
import type { LedgerEvent } from "./ledgerEvents.js";
import { LedgerFile } from "./ledgerFile.js";
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

/** How long a lock may go un-refreshed before its holder is taken for dead (kill -9). */
const STALE_LOCK_MS = 5_000;

/**
 * The embedded budget store: a JSONL ledger on local disk shared by every server process of
 * the user (Claude Desktop and Claude Code at once). Each operation runs under a
 * cross-process lock, first catching up on what other processes appended, so the check
 * and the reservation are one atomic step across processes.
 */
export class FileBudgetStore implements BudgetStore {
  private window = new SpendWindow();
  /** Bytes of the ledger already applied to `window`. */
  private offset = 0;
  /** The file ends mid-line (a write torn by a crash): the next append starts a new line. */
  private tornTail = false;
  private queue: Promise<unknown> = Promise.resolve();

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
    await store.exclusive(async () => undefined);
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
      await this.append({
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
      return { id, sessionId: request.sessionId, usdMicros: request.usdMicros };
    });
  }

  recordSigned(reservation: Reservation, authorization: SignedAuthorization): Promise<void> {
    return this.exclusive(() =>
      this.append({
        type: "sign",
        id: reservation.id,
        at: this.now(),
        payer: authorization.payer,
        validBefore: authorization.validBefore,
        ...(authorization.nonce ? { nonce: authorization.nonce } : {}),
      }),
    );
  }

  commit(reservation: Reservation, outcome: PaymentOutcome): Promise<void> {
    return this.exclusive(() =>
      this.append({
        type: "outcome",
        id: reservation.id,
        at: this.now(),
        status: outcome.status,
        ...(outcome.status === "rejected" ? { reason: outcome.reason } : {}),
        receipt: outcome.receipt,
      }),
    );
  }

  release(reservation: Reservation): Promise<void> {
    return this.exclusive(() => this.append({ type: "release", id: reservation.id, at: this.now() }));
  }

  usage(query: UsageQuery): Promise<Usage> {
    return this.exclusive(async () => this.window.usage(query, this.now()));
  }

  history(query: HistoryQuery): Promise<HistoryEntry[]> {
    return this.exclusive(async () => {
      const { events } = await this.file.readTail(this.offset, query.sinceMs);
      return foldHistory(events, query);
    });
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.file.close();
  }

  /** Serializes this process's operations, then takes the cross-process lock and catches up. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      let unlock: () => Promise<void>;
      try {
        unlock = await lockfile.lock(this.file.path, {
          realpath: false,
          stale: STALE_LOCK_MS,
          update: STALE_LOCK_MS / 5,
          retries: { retries: 2_000, factor: 1, minTimeout: 5, maxTimeout: 5 },
          onCompromised: (error) => this.logger.log("error", `ledger lock lost: ${error.message}`),
        });
      } catch (error) {
        throw unavailable(this.file.path, error);
      }
      try {
        await this.catchUp();
        return await operation();
      } catch (error) {
        throw isCodedError(error) ? error : unavailable(this.file.path, error);
      } finally {
        await unlock().catch(() => undefined);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async catchUp(): Promise<void> {
    const size = await this.file.size();
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

  private async append(event: LedgerEvent): Promise<void> {
    const bytes = await this.file.append([event], this.tornTail);
    this.tornTail = false;
    this.window.apply(event);
    this.offset += bytes;
  }
}

/** The usage a reservation is checked against: its session, hosts and agent. */
export function usageQueryFor(request: ReserveRequest): UsageQuery {
  return { sessionId: request.sessionId, hostPatterns: request.limits.hosts.map((h) => h.pattern), agent: request.limits.agent?.name };
}

function unavailable(path: string, error: unknown): CodedError {
  return new CodedError(
    ErrorCode.BUDGET_STORE_UNAVAILABLE,
    `The spending ledger at ${path} cannot be used (${(error as Error).message}); nothing was signed. Check that the file and its folder are writable and not held by a stuck process, or set "ledger" in the config to another path.`,
    { path },
  );
}
