import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { KNOWN_ASSETS } from "../../src/chains/evm/assets.js";
import { KnownPrices } from "../../src/payment/knownPrices.js";
import { parsePaymentRequired } from "../../src/x402/parsePaymentRequired.js";
import { selectPaymentOption } from "../../src/x402/select.js";
import { v2Requirement, v2Response } from "../x402/helpers.js";

const policy = { networks: ["eip155:84532"], assets: KNOWN_ASSETS, payees: { allow: [], deny: [] } };
const URL_A = "http://api.test/paid";

/** A 402 of about `megabytes` MB: the option paid, then options carrying padding the fast path never needs. */
function bigPaymentRequired(megabytes: number, extensions?: Record<string, unknown>) {
  const padding = "p".repeat(256 * 1024);
  const others = Array.from({ length: megabytes * 4 }, (_, i) => v2Requirement({ amount: String(20_000 + i), extra: { name: "USDC", version: "2", padding } }));
  const required = parsePaymentRequired(v2Response([v2Requirement(), ...others], extensions ? { extensions } : {}));
  return { required, chosen: selectPaymentOption(required, policy, URL_A) };
}

/** The live heap after a full collection; `--expose-gc` turned on at run time, as vitest starts workers without it. */
function liveHeap(): number {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe("KnownPrices", () => {
  it("keeps the chosen option and what the scheme echoes, not the rest of a 5 MB 402", () => {
    const prices = new KnownPrices();
    const { required, chosen } = bigPaymentRequired(5, { bazaar: { info: "small" } });
    prices.remember(null, "GET", URL_A, chosen, required);
    const known = prices.get(null, "GET", URL_A)!;
    expect(known.chosen.option).toEqual(chosen.option);
    expect(known.required).toEqual({ x402Version: 2, error: undefined, resource: required.resource, extensions: required.extensions, options: [chosen.option], malformed: [] });
    expect(prices.retainedBytes).toBeGreaterThan(0);
    expect(prices.retainedBytes).toBeLessThan(4096);
  });

  it("holds on to no more than its byte bound in the live heap (40 URLs, each a 5 MB 402)", () => {
    const prices = new KnownPrices();
    const before = liveHeap();
    for (let i = 0; i < 40; i++) {
      const { required, chosen } = bigPaymentRequired(5);
      prices.remember(null, "GET", `${URL_A}/${i}`, chosen, required);
    }
    const grown = liveHeap() - before;
    expect(prices.get(null, "GET", `${URL_A}/39`)).toBeDefined();
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });

  it("does not keep a price whose needed fields alone are too large, and stays within its total bound", () => {
    const prices = new KnownPrices();
    const huge = bigPaymentRequired(0, { bazaar: { schema: "s".repeat(5 * 1024 * 1024) } });
    prices.remember(null, "GET", URL_A, huge.chosen, huge.required);
    expect(prices.get(null, "GET", URL_A)).toBeUndefined();
    expect(prices.retainedBytes).toBe(0);

    const fair = bigPaymentRequired(0, { bazaar: { schema: "s".repeat(16 * 1024) } });
    for (let i = 0; i < 1_000; i++) prices.remember(null, "GET", `${URL_A}/${i}`, fair.chosen, fair.required);
    expect(prices.retainedBytes).toBeLessThanOrEqual(KnownPrices.MAX_BYTES);
    expect(prices.get(null, "GET", `${URL_A}/999`)).toBeDefined();
    expect(prices.get(null, "GET", `${URL_A}/0`)).toBeUndefined();
  });

  it("keeps each owner's prices apart", () => {
    const prices = new KnownPrices();
    const { required, chosen } = bigPaymentRequired(0);
    prices.remember("alice", "GET", URL_A, chosen, required);
    expect(prices.get("alice", "GET", URL_A)).toBeDefined();
    expect(prices.get("bob", "GET", URL_A)).toBeUndefined();
    expect(prices.get(null, "GET", URL_A)).toBeUndefined();
    prices.forget("alice", "GET", URL_A);
    expect(prices.get("alice", "GET", URL_A)).toBeUndefined();
    expect(prices.retainedBytes).toBe(0);
  });

  it("forgets a price after five minutes", () => {
    const clock = { now: 0 };
    const prices = new KnownPrices(() => clock.now);
    const { required, chosen } = bigPaymentRequired(0);
    prices.remember(null, "GET", URL_A, chosen, required);
    clock.now += 5 * 60_000;
    expect(prices.get(null, "GET", URL_A)).toBeDefined();
    clock.now += 1;
    expect(prices.get(null, "GET", URL_A)).toBeUndefined();
    expect(prices.retainedBytes).toBe(0);
  });
});
