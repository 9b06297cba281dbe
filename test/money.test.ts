import { describe, expect, it } from "vitest";
import { assetToUsdMicros, formatDecimal, formatUsd, parseDecimal, parseUsd } from "../src/money.js";

describe("money", () => {
  it("parses USD decimal strings into micros without floating point", () => {
    expect(parseUsd("0.10")).toBe(100_000n);
    expect(parseUsd("1")).toBe(1_000_000n);
    expect(parseUsd("0.000001")).toBe(1n);
    expect(parseUsd("123456789.123456")).toBe(123_456_789_123_456n);
  });

  it("refuses malformed or over-precise amounts", () => {
    for (const bad of ["", "-1", "1e3", "0x10", "1.2.3", "abc", "0.0000001"]) {
      expect(() => parseUsd(bad), bad).toThrow(RangeError);
    }
  });

  it("formats atomic units for people", () => {
    expect(formatUsd(100_000n)).toBe("0.10");
    expect(formatUsd(10_000n)).toBe("0.01");
    expect(formatUsd(1n)).toBe("0.000001");
    expect(formatUsd(0n)).toBe("0.00");
    expect(formatUsd(12_340_000n)).toBe("12.34");
    expect(formatDecimal(5n, 18)).toBe("0.000000000000000005");
  });

  it("rounds asset-to-USD conversion up so a cap is never undercounted", () => {
    expect(assetToUsdMicros(10_000n, 6, 1_000_000n)).toBe(10_000n);
    // 1 wei of an 18-decimal token at 1 USD is less than a micro-dollar: it counts as one.
    expect(assetToUsdMicros(1n, 18, 1_000_000n)).toBe(1n);
    expect(assetToUsdMicros(3n, 6, 1_080_000n)).toBe(4n);
  });
});
