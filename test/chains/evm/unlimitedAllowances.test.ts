import { describe, expect, it } from "vitest";
import { ALLOWANCE_MAX_AGE_MS, UnlimitedAllowances } from "../../../src/chains/evm/permit2/unlimitedAllowances.js";

const PERMIT2 = "0x000000000022D473030F116dDEE9F6B43aC78BA3";
const MAX = 2n ** 256n - 1n;

describe("UnlimitedAllowances", () => {
  function harness(answers: bigint[]) {
    let now = 1_000_000;
    const cache = new UnlimitedAllowances(() => now);
    let reads = 0;
    const read = () => cache.read("eip155:84532", "0xToken", "0xOwner", PERMIT2, async () => answers[Math.min(reads++, answers.length - 1)]!);
    return { read, reads: () => reads, advance: (ms: number) => (now += ms) };
  }

  it("reuses an unlimited reading for a few seconds, then reads the chain again", async () => {
    const h = harness([MAX, MAX - 10n ** 18n]);
    expect(await h.read()).toBe(MAX);
    h.advance(ALLOWANCE_MAX_AGE_MS);
    expect(await h.read()).toBeGreaterThanOrEqual(2n ** 255n);
    expect(h.reads()).toBe(1);
    h.advance(1);
    expect(await h.read()).toBe(MAX - 10n ** 18n);
    expect(h.reads()).toBe(2);
  });

  it("reads a limited allowance for every payment: each may spend it down", async () => {
    const h = harness([10n ** 16n, 0n]);
    expect(await h.read()).toBe(10n ** 16n);
    expect(await h.read()).toBe(0n);
    expect(h.reads()).toBe(2);
  });

  it("forgets an unlimited reading once the chain shows a limited one (a revocation)", async () => {
    const h = harness([MAX, 0n, MAX]);
    await h.read();
    h.advance(ALLOWANCE_MAX_AGE_MS + 1);
    expect(await h.read()).toBe(0n);
    expect(await h.read()).toBe(MAX);
    expect(h.reads()).toBe(3);
  });
});
