/** Caps in USD micros. A cap is a promise: nothing is signed that was not reserved under it. */
export interface BudgetLimits {
  perCall: bigint;
  perSession: bigint;
}

export interface ReserveRequest {
  sessionId: string;
  /** What the payment counts against USD caps, rounded up. */
  usdMicros: bigint;
  limits: BudgetLimits;
  /** What the payment is for: kept with the reservation for the ledger. */
  meta: { url: string; host: string; network: string; asset: string; amountAtomic: bigint; payTo: string };
}

export interface Reservation {
  id: string;
  sessionId: string;
  usdMicros: bigint;
}

export type PaymentOutcome =
  | { status: "settled"; transaction: string }
  | { status: "unconfirmed"; reason: string }
  | { status: "rejected"; reason: string };

export interface SessionUsage {
  /** Signed, or reserved and about to be signed: all of it counts against the cap. */
  spent: bigint;
}

/**
 * Where caps are kept and enforced. `reserve` checks every cap and takes the amount
 * atomically (parallel calls can never reserve past a cap together); `commit` records that
 * an authorization was signed, which counts for good because a signed authorization can
 * be settled until it expires; `release` returns an amount for which nothing was signed.
 */
export interface BudgetStore {
  reserve(request: ReserveRequest): Promise<Reservation>;
  commit(reservation: Reservation, outcome: PaymentOutcome): Promise<void>;
  release(reservation: Reservation): Promise<void>;
  sessionUsage(sessionId: string): Promise<SessionUsage>;
}
