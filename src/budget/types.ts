import type { Receipt } from "../payment/receipt.js";

/** A cap that applies to hosts matching `pattern` (from `hosts.limits`). */
export interface HostLimit {
  pattern: string;
  perCall: bigint | undefined;
  perDay: bigint | undefined;
}

/** Every cap that applies to one payment, in USD micros. */
export interface BudgetLimits {
  perCall: bigint;
  perSession: bigint;
  perDay: bigint;
  /** The `hosts.limits` entries whose pattern matches this payment's host. */
  hosts: HostLimit[];
  /** The authenticated agent (HTTP mode) and its own daily cap, on top of the wallet's. */
  agent?: { name: string; perDay: bigint | undefined } | undefined;
}

export interface PaymentMeta {
  /** The agent that made the payment, in HTTP mode. */
  agent?: string | undefined;
  url: string;
  host: string;
  network: string;
  asset: string;
  amountAtomic: bigint;
  payTo: string;
}

export interface ReserveRequest {
  sessionId: string;
  /** What the payment counts against USD caps, rounded up. */
  usdMicros: bigint;
  limits: BudgetLimits;
  /** The per-call limit was lowered by the caller's `max_payment` (for the refusal message). */
  perCallFromCaller?: boolean;
  /**
   * How long the reservation may wait for its signature: a payment that asks the person
   * first waits up to the approval timeout. A store that gives back a dead server's
   * unsigned reservations after a lease keeps this one at least that long.
   */
  holdMs?: number;
  meta: PaymentMeta;
}

export interface Reservation {
  id: string;
  sessionId: string;
  usdMicros: bigint;
  /** What was reserved and under which caps: `recordSigned` checks the same caps again at signing. */
  request: ReserveRequest;
}

/** What is known about a signed authorization, recorded before it is sent. */
export interface SignedAuthorization {
  payer: string;
  validBefore: number;
  nonce: string | undefined;
  /** Solana: the block height after which the signed transaction can no longer land (decimal). */
  lastValidBlockHeight?: string | undefined;
  /** The payment-identifier id sent with it, when the server offered the extension. */
  paymentId?: string | undefined;
}

export type PaymentOutcome =
  | { status: "settled" | "unconfirmed" | "verified" | "mismatch"; receipt: Receipt }
  | { status: "rejected"; reason: string; receipt: Receipt };

/** Spent amounts (signed or reserved) in USD micros, for the caps that apply to one payment. */
export interface Usage {
  session: bigint;
  /** The rolling 24 h window. */
  day: bigint;
  /** Per matching host limit, what its hosts spent in the window. */
  hostsDay: { pattern: string; spent: bigint }[];
  /** What the agent spent in the window, when the query named one. */
  agentDay: bigint;
}

export interface UsageQuery {
  sessionId: string;
  hostPatterns: readonly string[];
  agent?: string | undefined;
}

export interface HistoryQuery {
  limit: number;
  sinceMs: number;
  host: string | undefined;
  /** Only this agent's payments (HTTP mode: an agent sees only its own). */
  agent?: string | undefined;
}

/**
 * One payment as the ledger remembers it. `receipt` is its latest outcome; null when the
 * process stopped before one was written (`reserved`: maybe never signed; `signed`: the
 * header may have been sent). Both still count against the caps.
 */
export interface HistoryEntry {
  id: string;
  at: number;
  meta: PaymentMeta;
  usdMicros: bigint;
  payer: string | undefined;
  status: Receipt["status"] | "reserved" | "signed";
  receipt: Receipt | null;
  /** The payment-identifier id its sign line recorded (the seller's records know it by this). */
  paymentId?: string;
  /** Reconciliation found it expired unused on-chain: it counts nothing (`usdMicros` is 0). */
  expired?: { at: number; reason: string };
  /** What its sign line recorded (reconciliation reads the chain with it); absent until signed. */
  authorization?: Omit<SignedAuthorization, "payer"> & { signedAt: number };
}

/** A transfer out of the wallet that no ledger entry explains, as reconciliation records it. */
export interface ExternalTransfer {
  /** The transfer's own id (network, transaction, log index): recording it again counts it once. */
  id: string;
  network: string;
  asset: string;
  transaction: string;
  to: string;
  amountAtomic: bigint;
  usdMicros: bigint;
  /** When the chain included it (ms). */
  blockAt: number;
}

/** What the payments of one UTC day to one host count, in USD micros (expired ones count 0 but are payments). */
export interface SpendingTotal {
  day: string;
  host: string;
  usdMicros: bigint;
  payments: number;
}

/**
 * The spending history's answer: the newest `limit` entries, as `history` gives them, and the
 * totals of every entry the query matches (not only those returned), per UTC day and host,
 * ordered by each one's newest entry, newest first: what folding every entry newest first
 * and adding each to its day and host gives.
 */
export interface Spending {
  entries: HistoryEntry[];
  byDayAndHost: SpendingTotal[];
}

/**
 * Where caps are kept and enforced; the tools never know which store is behind it.
 * `reserve` checks every cap and takes the amount atomically (parallel calls, and other
 * processes sharing the store, can never reserve past a cap together) and records it
 * durably. `recordSigned` checks the reservation's caps again (what others spent while it
 * waited counts) and writes the authorization down before it is sent, or gives the amount
 * back and refuses with the cap's error; from then on the payment counts in the rolling 24 h
 * from its signing, not its reservation. `commit` records
 * the outcome of a signed authorization, which counts for good (it can be settled until it
 * expires); `release` returns an amount for which nothing was signed. `settleActual` lowers
 * a signed payment to what the chain shows was taken (an `upto` payment signs a maximum and
 * the server takes less), giving the difference back to every total it counts in.
 */
export interface BudgetStore {
  reserve(request: ReserveRequest): Promise<Reservation>;
  recordSigned(reservation: Reservation, authorization: SignedAuthorization): Promise<void>;
  /** Also reconciliation's outcome by id (a late settlement read on-chain: verified, with its transaction). */
  commit(reservation: Pick<Reservation, "id">, outcome: PaymentOutcome): Promise<void>;
  release(reservation: Reservation): Promise<void>;
  /**
   * From now on the signed payment counts `usdMicros` (what was taken, rounded up), never more
   * than it counted before: a larger amount, a repeat, or a reservation not signed (or no
   * longer counted) changes nothing. Atomic across processes; the ledger records it.
   */
  settleActual(reservation: Pick<Reservation, "id">, usdMicros: bigint): Promise<void>;
  /**
   * Reconciliation: the chain proves this signed payment can no longer move money (it expired
   * unused). From now on it counts nothing in any total (day, host, agent, session), here and
   * in every process sharing the store at its next call. Atomic; a payment that no longer
   * counts (already expired, or aged out of the day) loses nothing more, and only its line is
   * written. "expired" when it still counted, "unchanged" otherwise. Never for an unsigned one.
   */
  expire(id: string, reason: string): Promise<"expired" | "unchanged">;
  /**
   * Reconciliation: a transfer out of the wallet no entry explains counts in the day's total
   * from now, for 24 h. "known" when it is counted already (recorded by another run).
   */
  recordExternal(transfer: ExternalTransfer): Promise<"recorded" | "known">;
  usage(query: UsageQuery): Promise<Usage>;
  history(query: HistoryQuery): Promise<HistoryEntry[]>;
  /** The newest entries and the totals of all of them: the file store reads totals kept beside the ledger instead of the whole period. */
  spending(query: HistoryQuery): Promise<Spending>;
  close(): Promise<void>;
}
