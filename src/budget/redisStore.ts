import { randomUUID } from "node:crypto";
import { CodedError, ErrorCode, isCodedError } from "../errors.js";
import type { Logger } from "../log.js";
import { formatUsd } from "../money.js";
import { externalEventOf, reserveEventOf, type LedgerEvent } from "./ledgerEvents.js";
import {
  checkClockSkew,
  checkServerSettings,
  createRedisConnection,
  describeRedisTarget,
  ensureConnected,
  loadScripts,
  runScript,
  runScriptThenWait,
  scriptOf,
  serversOf,
  withDeadline,
  type RedisClient,
} from "./redisConnection.js";
import type { PaymentToImport } from "./paymentsToImport.js";
import { readHistory, readSpending } from "./redisLedgerStream.js";
import { COMMIT, EXPIRE, IMPORT, RECORD_EXTERNAL, RECORD_SIGNED, RELEASE, RESERVE, SETTLE_ACTUAL, USAGE } from "./redisScripts.js";
import {
  amount,
  asArray,
  capsArgs,
  normalizeHost,
  normalizePattern,
  optionalName,
  refusal,
  toMicros,
  walletKeys,
} from "./redisWire.js";
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
 * The ledger stream keeps about this many events (XADD MAXLEN ~): ~25 000 payments at four
 * events each, tens of MB at most. Only history reads it; the caps live in their own keys,
 * so trimming it never loosens a cap.
 */
export const LEDGER_MAX_EVENTS = 100_000;

const SCRIPTS = {
  reserve: scriptOf(RESERVE),
  recordSigned: scriptOf(RECORD_SIGNED),
  commit: scriptOf(COMMIT),
  release: scriptOf(RELEASE),
  settleActual: scriptOf(SETTLE_ACTUAL),
  usage: scriptOf(USAGE),
  import: scriptOf(IMPORT),
  expire: scriptOf(EXPIRE),
  recordExternal: scriptOf(RECORD_EXTERNAL),
};

export interface RedisBudgetStoreOptions {
  /** redis:// or rediss:// URL of one Redis; a password in it never appears in logs or errors. */
  url?: string | undefined;
  /** Instead of `url`: redis:// URLs of some nodes of a Redis Cluster, from which the client learns the rest. */
  cluster?: readonly string[] | undefined;
  /** Put before every key, e.g. "x402:". */
  prefix: string;
  /** Whose budget (e.g. the payer address): its keys share the hash tag `{wallet}`. */
  wallet: string;
  /** How long a reservation that was never signed is held before it is taken for abandoned. */
  leaseMs: number;
  /** Bound on connecting and on every command. */
  timeoutMs: number;
  /**
   * Replicas that must hold each reservation and signature before it counts as made (WAIT,
   * within half of `timeoutMs`): a failover to a replica then cannot forget it. 0 (default): no WAIT.
   */
  minReplicasAcked?: number | undefined;
  logger: Logger;
  /**
   * This server's clock, only to warn at start-up when it disagrees with Redis': the caps,
   * leases and ledger times all run on Redis' clock, so servers whose clocks disagree still
   * share one budget.
   */
  now?: () => number;
  /** Tests only: a time (ms) that every script takes instead of Redis' TIME, so a test can move the budget's clock by a day. */
  clockForTests?: () => number;
}

/** A ledger event as the store hands it to a script, which adds Redis' time as its `at`. */
type Untimed<E> = E extends unknown ? Omit<E, "at"> : never;

/**
 * The shared budget store: the caps of one wallet kept in Redis, so servers on several
 * machines draw from one budget. Each operation is one Lua script (check, state change and
 * ledger entry together, atomically, in one round trip). A reservation whose holder died
 * before signing is returned after `leaseMs`; a signed one counts for good. Any failure to
 * get an answer refuses with BUDGET_STORE_UNAVAILABLE: a cap is never guessed.
 */
export class RedisBudgetStore implements BudgetStore {
  private closed = false;

  private constructor(
    private readonly redis: RedisClient,
    private readonly keys: readonly string[],
    private readonly ledgerKey: string,
    private readonly where: string,
    private readonly options: RedisBudgetStoreOptions,
  ) {}

  static async open(options: RedisBudgetStoreOptions): Promise<RedisBudgetStore> {
    assertValidOptions(options);
    const where = describeRedisTarget(options);
    const redis = createRedisConnection(options, options.timeoutMs, options.logger);
    try {
      await ensureConnected(redis, options.timeoutMs);
      await loadScripts(redis, Object.values(SCRIPTS));
      for (const server of serversOf(redis)) {
        const at = options.cluster ? `${server.options.host}:${server.options.port}` : where;
        await checkServerSettings(server, options.logger, at);
        await checkClockSkew(server, options.logger, at, options.now ?? Date.now);
      }
    } catch (error) {
      // Not fatal: every operation connects again and refuses until Redis answers, so a server
      // started during a Redis outage still serves its free tools and pays once Redis is back.
      options.logger.log("warning", unavailable(where, "at start-up", error, "Payments are refused until it answers.").message);
    }
    const keys = walletKeys(options.prefix, options.wallet);
    return new RedisBudgetStore(redis, keys, keys[7] as string, where, options);
  }

  reserve(request: ReserveRequest): Promise<Reservation> {
    return this.guard("the reservation", "Nothing was paid.", async () => {
      const id = randomUUID();
      const event = reserveEventOf(id, request);
      const { reply, short } = await this.runReplicated(SCRIPTS.reserve, [
        id,
        amount(request.usdMicros),
        request.sessionId,
        normalizeHost(request.meta.host),
        optionalName(request.meta.agent),
        String(Math.max(this.options.leaseMs, request.holdMs ?? 0)),
        JSON.stringify(event),
        ...capsArgs(request.limits),
      ]);
      const [verdict, ...numbers] = asArray(reply, "reserve");
      if (verdict !== "ok") throw refusal("reserve", reply, verdict, numbers, request, false);
      const reservation = { id, sessionId: request.sessionId, usdMicros: request.usdMicros, request };
      if (short === undefined) return reservation;
      // Best effort: a release only lowers the counts, and one that is lost errs toward counting more.
      await this.release(reservation).catch(() => undefined);
      throw new CodedError(
        ErrorCode.BUDGET_STORE_UNAVAILABLE,
        `The Redis budget store at ${this.where} took the reservation, but ${short}, so a failover could forget it and let the caps be overspent: it was given back and nothing was paid. Check the replicas (INFO replication on the master) or lower store.minReplicasAcked; retry the call.`,
        { url: this.where },
      );
    });
  }

  recordSigned(reservation: Reservation, authorization: SignedAuthorization): Promise<void> {
    return this.guard("recording the signature", "The signed payment was not sent; nothing was paid.", async () => {
      const event: Untimed<LedgerEvent> = {
        type: "sign",
        id: reservation.id,
        payer: authorization.payer,
        validBefore: authorization.validBefore,
        ...(authorization.nonce ? { nonce: authorization.nonce } : {}),
        ...(authorization.lastValidBlockHeight ? { lastValidBlockHeight: authorization.lastValidBlockHeight } : {}),
        ...(authorization.paymentId ? { paymentId: authorization.paymentId } : {}),
      };
      const { reply, short } = await this.runReplicated(SCRIPTS.recordSigned, [reservation.id, JSON.stringify(event), ...capsArgs(reservation.request.limits)]);
      const [verdict, ...numbers] = asArray(reply, "recordSigned");
      if (verdict === "ok" && short === undefined) return;
      if (verdict === "ok") {
        // Recorded as signed on the master, so it counts for good there: the amount is not returned.
        throw new CodedError(
          ErrorCode.BUDGET_STORE_UNAVAILABLE,
          `The Redis budget store at ${this.where} recorded the signature, but ${short}, so a failover could forget it: the signed payment was not sent and nothing was paid. Its amount stays counted against the caps (it is recorded as signed). Check the replicas (INFO replication on the master) or lower store.minReplicasAcked; retry the call.`,
          { reservation: reservation.id, url: this.where },
        );
      }
      if (verdict !== "gone") throw refusal("recordSigned", reply, verdict, numbers, reservation.request, true);
      throw new CodedError(
        ErrorCode.BUDGET_STORE_UNAVAILABLE,
        `The reservation for this payment was given back before it was signed (it was held longer than its ${Math.max(this.options.leaseMs, reservation.request.holdMs ?? 0)} ms lease and reclaimed, or released), so the signed payment was not sent and nothing was paid. Retry the call.`,
        { reservation: reservation.id },
      );
    });
  }

  commit(reservation: Pick<Reservation, "id">, outcome: PaymentOutcome): Promise<void> {
    return this.guard("recording the payment outcome", "The payment still counts against the budget; only its outcome was not recorded.", async () => {
      const event: Untimed<LedgerEvent> = {
        type: "outcome",
        id: reservation.id,
        status: outcome.status,
        ...(outcome.status === "rejected" ? { reason: outcome.reason } : {}),
        receipt: outcome.receipt,
      };
      const reply = await this.run(SCRIPTS.commit, [reservation.id, JSON.stringify(event)]);
      if (reply === "gone") {
        this.options.logger.log(
          "error",
          `an outcome (${outcome.status}) was recorded for reservation ${reservation.id}, which no longer held its amount (released or reclaimed before it was signed, or aged out of the day)`,
        );
      } else if (reply !== "ok") {
        throw new Error(`unexpected reply to commit: ${JSON.stringify(reply)}`);
      }
    });
  }

  release(reservation: Reservation): Promise<void> {
    const consequence = `The amount stays counted until its lease (${this.options.leaseMs} ms) runs out.`;
    return this.guard("the release", consequence, async () => {
      const event: Untimed<LedgerEvent> = { type: "release", id: reservation.id };
      const reply = await this.run(SCRIPTS.release, [reservation.id, JSON.stringify(event)]);
      if (reply !== "released" && reply !== "kept" && reply !== "gone") throw new Error(`unexpected reply to release: ${JSON.stringify(reply)}`);
    });
  }

  settleActual(reservation: Pick<Reservation, "id">, usdMicros: bigint): Promise<void> {
    return this.guard("recording the amount taken", "The payment still counts its maximum against the budget.", async () => {
      const event: Untimed<LedgerEvent> = { type: "actual", id: reservation.id, usdMicros: usdMicros.toString() };
      const reply = await this.run(SCRIPTS.settleActual, [reservation.id, amount(usdMicros), JSON.stringify(event)]);
      if (reply !== "lowered" && reply !== "kept" && reply !== "gone") throw new Error(`unexpected reply to settleActual: ${JSON.stringify(reply)}`);
    });
  }

  expire(id: string, reason: string): Promise<"expired" | "unchanged"> {
    return this.guard("recording an expired payment", "The payment still counts against the budget.", async () => {
      const event: Untimed<LedgerEvent> = { type: "expired", id, reason };
      const reply = await this.run(SCRIPTS.expire, [id, JSON.stringify(event)]);
      if (reply === "expired" || reply === "unchanged") return reply;
      if (reply === "unsigned") throw new Error(`payment ${id} was never signed; only a signed one can expire`);
      throw new Error(`unexpected reply to expire: ${JSON.stringify(reply)}`);
    });
  }

  recordExternal(transfer: ExternalTransfer): Promise<"recorded" | "known"> {
    return this.guard("recording a transfer from the wallet", "It is not counted in the day's total yet.", async () => {
      const event = externalEventOf(transfer);
      const reply = await this.run(SCRIPTS.recordExternal, [transfer.id, amount(transfer.usdMicros), JSON.stringify(event)]);
      if (reply === "recorded" || reply === "known") return reply;
      throw new Error(`unexpected reply to recordExternal: ${JSON.stringify(reply)}`);
    });
  }

  usage(query: UsageQuery): Promise<Usage> {
    return this.guard("reading the budget", "Nothing was paid.", async () => {
      const reply = asArray(
        await this.run(SCRIPTS.usage, [
          query.sessionId,
          optionalName(query.agent),
          String(query.hostPatterns.length),
          ...query.hostPatterns.map(normalizePattern),
        ]),
        "usage",
      );
      if (reply.length !== 3 + query.hostPatterns.length) throw new Error(`unexpected reply to usage: ${JSON.stringify(reply)}`);
      const spent = reply.map(toMicros);
      return {
        session: spent[0] as bigint,
        day: spent[1] as bigint,
        hostsDay: query.hostPatterns.map((pattern, i) => ({ pattern, spent: spent[3 + i] as bigint })),
        agentDay: spent[2] as bigint,
      };
    });
  }

  /** The ledger stream folded into payments, newest first (redisLedgerStream.ts). */
  history(query: HistoryQuery): Promise<HistoryEntry[]> {
    return this.guard("reading the history", "Nothing was paid.", () => readHistory(this.redis, this.ledgerKey, query, this.options.logger));
  }

  /** The whole period's stream folded into totals (redisLedgerStream.ts). */
  spending(query: HistoryQuery): Promise<Spending> {
    return this.guard("reading the history", "Nothing was paid.", () => readSpending(this.redis, this.ledgerKey, query, this.options.logger));
  }

  /**
   * Brings in payments of a file ledger (`ledger import`): their events into the stream, and
   * those that count now into the totals. Each payment is one script that skips a payment
   * already imported, so running it again adds nothing. Refused when the stream already holds
   * newer entries than a payment still to import: history reads the stream as time order.
   */
  importPayments(payments: readonly PaymentToImport[]): Promise<{ imported: number; skipped: number }> {
    const consequence = "Payments imported before the failure stay imported; running the import again adds only the others.";
    return this.guard("the import", consequence, async () => {
      await ensureConnected(this.redis, this.options.timeoutMs);
      const importedKey = this.keys[9] as string;
      const known = await Promise.all(payments.map((p) => this.redis.sismember(importedKey, p.reserve.id)));
      const pending = payments.filter((_, i) => known[i] !== 1);
      const top = (await this.redis.xrevrange(this.ledgerKey, "+", "-", "COUNT", 1))[0]?.[0];
      const oldest = Math.min(...pending.flatMap((p) => p.events.map((e) => e.at)));
      if (top !== undefined && pending.length > 0 && Number(top.split("-")[0]) > oldest) {
        throw new CodedError(
          ErrorCode.LEDGER_IMPORT_CONFLICT,
          `The Redis ledger of this wallet at ${this.where} already holds entries newer than payments of the file ledger still to import (from ${new Date(oldest).toISOString()}); importing them now would put its history out of order. Import before any server uses the Redis store: delete this wallet's keys (${this.options.prefix}{${this.options.wallet}}:*) while no server runs, then import again. Nothing was imported.`,
          { pending: pending.length },
        );
      }
      let imported = 0;
      for (const payment of pending) {
        const { reserve } = payment;
        const reply = await this.run(SCRIPTS.import, [
          reserve.id,
          payment.counts ? "1" : "0",
          amount(payment.usdMicros),
          normalizeHost(reserve.host),
          optionalName(reserve.agent),
          String(Math.max(0, Math.floor(payment.since))),
          String(payment.events.length),
          ...payment.events.flatMap((e) => [String(Math.max(0, Math.floor(e.at))), JSON.stringify(e)]),
        ]);
        if (reply === "imported") imported++;
        else if (reply !== "skipped") throw new Error(`unexpected reply to import: ${JSON.stringify(reply)}`);
      }
      return { imported, skipped: payments.length - imported };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await withDeadline(this.redis.quit(), this.options.timeoutMs, "QUIT timed out");
    } catch {
      this.redis.disconnect();
    }
  }

  private async run(script: (typeof SCRIPTS)[keyof typeof SCRIPTS], args: readonly string[]): Promise<unknown> {
    await ensureConnected(this.redis, this.options.timeoutMs);
    // Auto-pipelining sends a command only once the batch before it has answered, and ioredis
    // starts a command's own timeout only when it is sent: bound the wait from here instead.
    return withDeadline(runScript(this.redis, script, this.keys, [...this.commonArgs(), ...args]), this.options.timeoutMs, "the command timed out");
  }

  /**
   * A script whose write the caps rest on (a reservation, a signature), then, with
   * minReplicasAcked, WAIT for that many replicas: `short` says why they did not all acknowledge.
   */
  private async runReplicated(script: (typeof SCRIPTS)[keyof typeof SCRIPTS], args: readonly string[]): Promise<{ reply: unknown; short: string | undefined }> {
    const replicas = this.options.minReplicasAcked ?? 0;
    if (replicas === 0) return { reply: await this.run(script, args), short: undefined };
    await ensureConnected(this.redis, this.options.timeoutMs);
    // WAIT's own bound leaves the other half of timeoutMs for the round trip.
    const waitMs = Math.floor(this.options.timeoutMs / 2);
    const { reply, acked } = await runScriptThenWait(this.redis, script, this.keys, [...this.commonArgs(), ...args], replicas, waitMs);
    if (acked instanceof Error) return { reply, short: `WAIT for its replicas failed (${acked.message})` };
    if (acked >= replicas) return { reply, short: undefined };
    return { reply, short: `only ${acked} of the ${replicas} replica(s) store.minReplicasAcked asks for acknowledged it within ${waitMs} ms` };
  }

  private commonArgs(): string[] {
    const clock = this.options.clockForTests;
    return [clock ? String(Math.floor(clock())) : "", String(LEDGER_MAX_EVENTS)];
  }

  /** Every failure becomes BUDGET_STORE_UNAVAILABLE; refusals by a cap pass through as they are. */
  private async guard<T>(what: string, consequence: string, operation: () => Promise<T>): Promise<T> {
    if (this.closed) throw unavailable(this.where, what, new Error("the store is closed"), consequence);
    try {
      return await operation();
    } catch (error) {
      throw isCodedError(error) ? error : unavailable(this.where, what, error, consequence);
    }
  }
}

function assertValidOptions(options: RedisBudgetStoreOptions): void {
  const problems: string[] = [];
  if ((options.url === undefined) === (options.cluster === undefined)) problems.push("exactly one of url (one Redis) or cluster (nodes of a Redis Cluster) must be set");
  if (/[{}]/.test(options.prefix)) problems.push(`the key prefix "${options.prefix}" contains { or }`);
  if (options.wallet === "" || /[{}]/.test(options.wallet)) problems.push(`the wallet "${options.wallet}" is empty or contains { or }`);
  if (!Number.isSafeInteger(options.leaseMs) || options.leaseMs <= 0) problems.push(`leaseMs (${options.leaseMs}) is not a positive integer`);
  if (!Number.isSafeInteger(options.timeoutMs) || options.timeoutMs <= 0) problems.push(`timeoutMs (${options.timeoutMs}) is not a positive integer`);
  const replicas = options.minReplicasAcked ?? 0;
  if (!Number.isSafeInteger(replicas) || replicas < 0) problems.push(`minReplicasAcked (${replicas}) is not a whole number of replicas`);
  if (problems.length > 0) {
    throw new CodedError(
      ErrorCode.CONFIG_INVALID,
      `The Redis budget store cannot be set up: ${problems.join("; ")}. Fix the Redis settings in the config. Nothing was paid.`,
    );
  }
}

function unavailable(where: string, what: string, error: unknown, consequence: string): CodedError {
  const reason = error instanceof Error ? error.message : String(error);
  return new CodedError(
    ErrorCode.BUDGET_STORE_UNAVAILABLE,
    `The Redis budget store at ${where} did not answer ${what} (${reason}). ${consequence} Check the Redis URL in the config and that the Redis server is up and reachable from here; every payment is refused until it answers.`,
    { url: where },
    { cause: error },
  );
}
