import { describe, expect, it } from "vitest";
import { assertWithinCallLimit, effectivePerCallLimit } from "../../src/budget/caps.js";

describe("caps", () => {
  it("lets max_payment lower the per-call limit but never raise it", () => {
    expect(effectivePerCallLimit(100_000n, 50_000n)).toBe(50_000n);
    expect(effectivePerCallLimit(100_000n, 500_000n)).toBe(100_000n);
    expect(effectivePerCallLimit(100_000n, undefined)).toBe(100_000n);
  });

  it("allows a price exactly at the limit and refuses one just above, naming what to change", () => {
    expect(() => assertWithinCallLimit(100_000n, { configured: 100_000n, effective: 100_000n }, "u")).not.toThrow();
    expect(() => assertWithinCallLimit(100_001n, { configured: 100_000n, effective: 100_000n }, "u")).toThrow(
      /costs 0.100001 USD; the per-call limit is 0.10 USD.*budget\.perCall/,
    );
    expect(() => assertWithinCallLimit(60_000n, { configured: 100_000n, effective: 50_000n }, "u")).toThrow(/max_payment/);
  });
});
