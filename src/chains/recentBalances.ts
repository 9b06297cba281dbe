import type { AssetInfo } from "./types.js";

/** How long a balance read for the funds check is trusted for the payments after it. */
export const BALANCE_MAX_AGE_MS = 10_000;

/**
 * Balances read for the funds check before a payment, reused by the payments that follow
 * for a few seconds, less what each signed: a run of paid calls costs one balance RPC, not
 * one per call (it was 1.5–2 ms of every paid call, measured). A reading is only trusted to
 * let a payment through, never to refuse one: when it does not cover a price, the caller
 * reads the chain again (the wallet may have been topped up).
 */
export class RecentBalances {
  private readonly readings = new Map<string, { balance: bigint; readAt: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs: number = BALANCE_MAX_AGE_MS,
  ) {}

  /** Whether a fresh reading covers `amount`; false when there is none and the chain must be read. */
  covers(asset: AssetInfo, owner: string, amount: bigint): boolean {
    const reading = this.readings.get(keyOf(asset, owner));
    return reading !== undefined && this.now() - reading.readAt <= this.maxAgeMs && reading.balance >= amount;
  }

  /** A balance just read from the chain. */
  record(asset: AssetInfo, owner: string, balance: bigint): void {
    this.readings.set(keyOf(asset, owner), { balance, readAt: this.now() });
  }

  /** An authorization for `amount` was signed: it will leave the balance. */
  spend(asset: AssetInfo, owner: string, amount: bigint): void {
    const reading = this.readings.get(keyOf(asset, owner));
    if (reading) reading.balance -= amount;
  }

  /** The server refused a payment (perhaps the funds were gone): read the chain next time. */
  forget(asset: AssetInfo, owner: string): void {
    this.readings.delete(keyOf(asset, owner));
  }
}

function keyOf(asset: AssetInfo, owner: string): string {
  return `${asset.network} ${asset.address.toLowerCase()} ${owner.toLowerCase()}`;
}
