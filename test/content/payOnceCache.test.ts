import { describe, expect, it } from "vitest";
import { PayOnceCache } from "../../src/content/payOnceCache.js";

function cacheWith(opts: { ttlMs?: number; maxEntries?: number; maxBytes?: number } = {}) {
  const clock = { now: 1_000_000 };
  const cache = new PayOnceCache<string>({
    ttlMs: opts.ttlMs ?? 60_000,
    maxEntries: opts.maxEntries ?? 10,
    maxBytes: opts.maxBytes ?? 1_000,
    now: () => clock.now,
  });
  return { cache, clock };
}

describe("PayOnceCache", () => {
  it("returns what was stored, and nothing for an unknown key", () => {
    const { cache } = cacheWith();
    cache.set("k", "paid body", 9);
    expect(cache.get("k")).toBe("paid body");
    expect(cache.get("other")).toBeUndefined();
  });

  it("replaces the value stored under the same key", () => {
    const { cache } = cacheWith();
    cache.set("k", "first", 5);
    cache.set("k", "second", 6);
    expect(cache.get("k")).toBe("second");
  });

  it("forgets an entry once its ttl has passed", () => {
    const { cache, clock } = cacheWith({ ttlMs: 1_000 });
    cache.set("k", "v", 1);
    clock.now += 999;
    expect(cache.get("k")).toBe("v");
    clock.now += 1;
    expect(cache.get("k")).toBeUndefined();
  });

  it("does not extend the ttl on reads", () => {
    const { cache, clock } = cacheWith({ ttlMs: 1_000 });
    cache.set("k", "v", 1);
    clock.now += 600;
    expect(cache.get("k")).toBe("v");
    clock.now += 600;
    expect(cache.get("k")).toBeUndefined();
  });

  it("evicts the least recently used entry past maxEntries", () => {
    const { cache } = cacheWith({ maxEntries: 2 });
    cache.set("a", "A", 1);
    cache.set("b", "B", 1);
    expect(cache.get("a")).toBe("A"); // a is now more recent than b
    cache.set("c", "C", 1);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe("A");
    expect(cache.get("c")).toBe("C");
  });

  it("evicts least recently used entries until the total fits maxBytes", () => {
    const { cache } = cacheWith({ maxBytes: 100 });
    cache.set("a", "A", 40);
    cache.set("b", "B", 40);
    cache.set("c", "C", 15);
    cache.get("a");
    cache.set("d", "D", 50); // 145 bytes: b (40) goes, 105 still too many: c (15) goes, 90 fits
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("c")).toBeUndefined();
    expect(cache.get("a")).toBe("A");
    expect(cache.get("d")).toBe("D");
  });

  it("frees the bytes of a replaced entry", () => {
    const { cache } = cacheWith({ maxBytes: 100 });
    cache.set("a", "A", 60);
    cache.set("b", "B", 30);
    cache.set("a", "A2", 70); // 100 in total once the old 60 are gone: nothing evicted
    expect(cache.get("b")).toBe("B");
    expect(cache.get("a")).toBe("A2");
  });

  it("drops expired entries before evicting live ones", () => {
    const { cache, clock } = cacheWith({ ttlMs: 1_000, maxEntries: 2 });
    cache.set("old", "O", 1);
    clock.now += 500;
    cache.set("live", "L", 1);
    cache.get("old"); // old is the most recent, but will expire first
    clock.now += 600;
    cache.set("new", "N", 1);
    expect(cache.get("live")).toBe("L");
    expect(cache.get("new")).toBe("N");
    expect(cache.get("old")).toBeUndefined();
  });

  it("does not keep a value larger than maxBytes, nor evict others for it", () => {
    const { cache } = cacheWith({ maxBytes: 100 });
    cache.set("small", "S", 10);
    cache.set("huge", "H", 101);
    expect(cache.get("huge")).toBeUndefined();
    expect(cache.get("small")).toBe("S");
  });

  describe("key", () => {
    it("is a sha256 hex digest that is stable for the same request", () => {
      const key = PayOnceCache.key("GET", "https://api.example.com/a", undefined);
      expect(key).toMatch(/^[0-9a-f]{64}$/);
      expect(PayOnceCache.key("GET", "https://api.example.com/a", undefined)).toBe(key);
    });

    it("differs by method, url and body", () => {
      const keys = [
        PayOnceCache.key("GET", "https://api.example.com/a", undefined),
        PayOnceCache.key("POST", "https://api.example.com/a", undefined),
        PayOnceCache.key("GET", "https://api.example.com/b", undefined),
        PayOnceCache.key("POST", "https://api.example.com/a", '{"q":1}'),
        PayOnceCache.key("POST", "https://api.example.com/a", '{"q":2}'),
        PayOnceCache.key("POST", "https://api.example.com/a", ""),
      ];
      expect(new Set(keys).size).toBe(keys.length);
    });

    it("cannot be forged by moving characters between fields", () => {
      expect(PayOnceCache.key("POST", "https://x/a", "bc")).not.toBe(PayOnceCache.key("POST", "https://x/ab", "c"));
    });
  });
});
