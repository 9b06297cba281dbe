import type { PayableOption } from "../x402/select.js";
import type { PaymentRequired } from "../x402/types.js";

/**
 * What a URL asked last time, so the fast path can pay it up front: the option paid and the
 * parts of its 402 that the scheme puts into the payment, nothing else of the 402.
 */
export interface KnownPrice {
  chosen: PayableOption;
  required: PaymentRequired;
  seenAt: number;
  /** Size of the kept fields as JSON, the measure of the byte bound. */
  sizeBytes: number;
}

const TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 1_000;
/** A typical entry is under 1 KB; a 402 whose echoed fields pass this is simply not paid up front. */
const MAX_ENTRY_BYTES = 32 * 1024;

/**
 * Prices recently paid, by owner (the agent in HTTP mode; null on stdio), method and URL;
 * bounded in age, count and bytes. An owner never sees another's prices.
 */
export class KnownPrices {
  static readonly MAX_BYTES = 2 * 1024 * 1024;

  /** Map order is insertion order: the first entry is the oldest. */
  private readonly entries = new Map<string, KnownPrice>();
  private totalBytes = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Bytes the kept entries account for. */
  get retainedBytes(): number {
    return this.totalBytes;
  }

  get(owner: string | null, method: string, url: string): KnownPrice | undefined {
    const key = keyOf(owner, method, url);
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.seenAt > TTL_MS) this.remove(key, entry);
    return this.entries.get(key);
  }

  remember(owner: string | null, method: string, url: string, chosen: PayableOption, required: PaymentRequired): void {
    const key = keyOf(owner, method, url);
    this.forget(owner, method, url);
    // The other options, the server's error and the dropped entries of the 402 are not needed
    // to sign this option again; keeping them kept whole 402s (megabytes each) alive.
    const kept: PaymentRequired = {
      x402Version: required.x402Version,
      error: undefined,
      resource: required.resource,
      extensions: required.extensions,
      options: [chosen.option],
      malformed: [],
    };
    const sizeBytes = jsonBytes([chosen.option, kept.resource, kept.extensions]);
    if (sizeBytes > MAX_ENTRY_BYTES) return;
    this.entries.set(key, { chosen, required: kept, seenAt: this.now(), sizeBytes });
    this.totalBytes += sizeBytes;
    for (const [k, entry] of this.entries) {
      if (this.entries.size <= MAX_ENTRIES && this.totalBytes <= KnownPrices.MAX_BYTES) break;
      this.remove(k, entry);
    }
  }

  /** After the server refused the known price: the next call asks it again. */
  forget(owner: string | null, method: string, url: string): void {
    const key = keyOf(owner, method, url);
    const entry = this.entries.get(key);
    if (entry) this.remove(key, entry);
  }

  private remove(key: string, entry: KnownPrice): void {
    this.entries.delete(key);
    this.totalBytes -= entry.sizeBytes;
  }
}

function keyOf(owner: string | null, method: string, url: string): string {
  return JSON.stringify([owner, method, url]);
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}
