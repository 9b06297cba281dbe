import type { PayableOption } from "../x402/select.js";
import type { PaymentRequired } from "../x402/types.js";

/** What a URL asked last time, so the fast path can pay it up front. */
export interface KnownPrice {
  chosen: PayableOption;
  required: PaymentRequired;
  seenAt: number;
}

const TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 1_000;

/** Prices recently paid, by method and URL; bounded in age and count. */
export class KnownPrices {
  private readonly entries = new Map<string, KnownPrice>();

  constructor(private readonly now: () => number = Date.now) {}

  get(method: string, url: string): KnownPrice | undefined {
    const key = `${method} ${url}`;
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.seenAt > TTL_MS) this.entries.delete(key);
    return this.entries.get(key);
  }

  remember(method: string, url: string, chosen: PayableOption, required: PaymentRequired): void {
    const key = `${method} ${url}`;
    this.entries.delete(key);
    this.entries.set(key, { chosen, required, seenAt: this.now() });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }
}
