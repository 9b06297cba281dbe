import { createHash } from "node:crypto";

export type PayOnceCacheOptions = {
  ttlMs: number;
  maxEntries: number;
  maxBytes: number;
  /** Milliseconds; injected so tests can move time. */
  now?: () => number;
};

type Entry<V> = { value: V; sizeBytes: number; expiresAt: number };

/**
 * Paid responses kept in memory for a while, so that paging through a paid page or reading
 * it again never pays twice. Bounded by entry count and total bytes (least recently used
 * goes first) and by age.
 */
export class PayOnceCache<V> {
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, Entry<V>>();
  private totalBytes = 0;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly now: () => number;

  constructor(opts: PayOnceCacheOptions) {
    this.ttlMs = opts.ttlMs;
    this.maxEntries = opts.maxEntries;
    this.maxBytes = opts.maxBytes;
    this.now = opts.now ?? Date.now;
  }

  /** SHA-256 of the request; JSON framing keeps ("a", "bc") and ("ab", "c") apart, and no body apart from an empty one. */
  static key(method: string, url: string, body: string | undefined): string {
    return createHash("sha256")
      .update(JSON.stringify([method, url, body ?? null]))
      .digest("hex");
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() >= entry.expiresAt) {
      this.remove(key, entry);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** A value larger than maxBytes is not kept: it would push out everything else and still not fit. */
  set(key: string, value: V, sizeBytes: number): void {
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous);
    if (sizeBytes > this.maxBytes) return;
    this.entries.set(key, { value, sizeBytes, expiresAt: this.now() + this.ttlMs });
    this.totalBytes += sizeBytes;
    if (!this.overLimits()) return;
    // Expired entries go before live ones, whatever their recency.
    const now = this.now();
    for (const [k, entry] of this.entries) if (now >= entry.expiresAt) this.remove(k, entry);
    for (const [k, entry] of this.entries) {
      if (!this.overLimits()) break;
      this.remove(k, entry);
    }
  }

  private overLimits(): boolean {
    return this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes;
  }

  private remove(key: string, entry: Entry<V>): void {
    this.entries.delete(key);
    this.totalBytes -= entry.sizeBytes;
  }
}
