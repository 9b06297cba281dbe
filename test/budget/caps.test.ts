import { describe, expect, it } from "vitest";
import { assertWithinCaps, effectivePerCallLimit } from "../../src/budget/caps.js";
import type { BudgetLimits, Usage } from "../../src/budget/types.js";

const limits: BudgetLimits = {
  perCall: 100_000n,
  perSession: 1_000_000n,
  perDay: 5_000_000n,
  hosts: [{ pattern: "*.example.com", perCall: 50_000n, perDay: 200_000n }],
};
const idle: Usage = { session: 0n, day: 0n, hostsDay: [{ pattern: "*.example.com", spent: 0n }], agentDay: 0n };
const check = (usdMicros: bigint, usage: Usage = idle, extra: Partial<Parameters<typeof assertWithinCaps>[0]> = {}) => () =>
  assertWithinCaps({ usdMicros, limits, usage, url: "u", ...extra });

describe("caps", () => {
  it("lets max_payment lower the per-call limit but never raise it", () => {
    expect(effectivePerCallLimit(100_000n, 50_000n)).toBe(50_000n);
    expect(effectivePerCallLimit(100_000n, 500_000n)).toBe(100_000n);
    expect(effectivePerCallLimit(100_000n, undefined)).toBe(100_000n);
  });

  it("allows a price exactly at a limit and refuses one just above, naming what to change", () => {
    const noHost = { ...limits, hosts: [] };
    expect(() => assertWithinCaps({ usdMicros: 100_000n, limits: noHost, usage: idle, url: "u" })).not.toThrow();
    expect(() => assertWithinCaps({ usdMicros: 100_001n, limits: noHost, usage: idle, url: "u" })).toThrow(
      /costs 0.100001 USD; the per-call limit is 0.10 USD.*budget\.perCall/,
    );
    expect(check(100_001n, idle, { perCallFromCaller: true, limits: noHost })).toThrow(/max_payment/);
  });

  it("checks session, day and host caps against what is already spent", () => {
    expect(check(40_000n, { ...idle, session: 960_000n })).not.toThrow();
    expect(check(40_000n, { ...idle, session: 960_001n })).toThrow(expect.objectContaining({ code: "SESSION_BUDGET_EXCEEDED" }));
    expect(check(40_000n, { ...idle, day: 4_970_000n })).toThrow(expect.objectContaining({ code: "DAILY_BUDGET_EXCEEDED" }));
    expect(check(60_000n)).toThrow(expect.objectContaining({ code: "HOST_BUDGET_EXCEEDED" }));
    expect(check(40_000n, { ...idle, hostsDay: [{ pattern: "*.example.com", spent: 170_000n }] })).toThrow(
      /only 0\.03 USD of the daily 0\.20 USD for hosts matching "\*\.example\.com"/,
    );
  });
});
