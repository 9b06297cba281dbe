import type { Address } from "viem";

/** How long a reading of an unlimited allowance is reused, as the funds check reuses a balance. */
export const ALLOWANCE_MAX_AGE_MS = 10_000;
/**
 * An allowance this large is the standing approval `permit2 approve` gives (2^256 - 1): even a
 * token that spends it down on every transfer leaves it above this bound for any payment.
 */
const UNLIMITED = 2n ** 255n;

/**
 * Unlimited Permit2 allowances read in the last few seconds, so a run of Permit2 payments
 * costs one allowance RPC, not one per call (1.0-1.1 ms of each, measured in bench/). Only
 * an unlimited reading is kept: a limited one is read again for every payment, since each
 * payment may spend it down. Reusing a reading means a revocation in the last 10 s is seen
 * by the server, which refuses the payment (PAYMENT_REJECTED), instead of by this check.
 */
export class UnlimitedAllowances {
  private readonly readAt = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The allowance: a recent unlimited reading, or what `read` returns now. */
  async read(network: string, token: string, owner: string, spender: Address, read: () => Promise<bigint>): Promise<bigint> {
    const key = `${network} ${token.toLowerCase()} ${owner.toLowerCase()} ${spender.toLowerCase()}`;
    const at = this.readAt.get(key);
    if (at !== undefined && this.now() - at <= ALLOWANCE_MAX_AGE_MS) return UNLIMITED;
    const allowance = await read();
    if (allowance >= UNLIMITED) this.readAt.set(key, this.now());
    else this.readAt.delete(key);
    return allowance;
  }
}
