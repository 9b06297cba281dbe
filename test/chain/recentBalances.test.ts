import { describe, expect, it } from "vitest";
import { KNOWN_ASSETS } from "../../src/chains/evm/assets.js";
import { BALANCE_MAX_AGE_MS, RecentBalances } from "../../src/chains/recentBalances.js";

const [usdc, other] = KNOWN_ASSETS as [(typeof KNOWN_ASSETS)[number], (typeof KNOWN_ASSETS)[number]];
const OWNER = "0x1111111111111111111111111111111111111111";

describe("RecentBalances", () => {
  function clocked() {
    let now = 1_000_000;
    return { balances: new RecentBalances(() => now), advance: (ms: number) => void (now += ms) };
  }

  it("covers a price out of a fresh reading, less what was spent since", () => {
    const { balances } = clocked();
    expect(balances.covers(usdc, OWNER, 1n)).toBe(false);
    balances.record(usdc, OWNER, 25_000n);
    expect(balances.covers(usdc, OWNER, 10_000n)).toBe(true);
    balances.spend(usdc, OWNER, 10_000n);
    balances.spend(usdc, OWNER, 10_000n);
    expect(balances.covers(usdc, OWNER, 5_000n)).toBe(true);
    expect(balances.covers(usdc, OWNER, 5_001n)).toBe(false);
  });

  it("keeps readings apart by token and owner, whatever the address case", () => {
    const { balances } = clocked();
    balances.record(usdc, OWNER.toUpperCase().replace("0X", "0x"), 10n);
    expect(balances.covers(usdc, OWNER, 10n)).toBe(true);
    expect(balances.covers(other, OWNER, 1n)).toBe(false);
    expect(balances.covers(usdc, "0x2222222222222222222222222222222222222222", 1n)).toBe(false);
  });

  it("stops trusting a reading once it is older than the limit, or forgotten", () => {
    const { balances, advance } = clocked();
    balances.record(usdc, OWNER, 10n);
    advance(BALANCE_MAX_AGE_MS);
    expect(balances.covers(usdc, OWNER, 10n)).toBe(true);
    advance(1);
    expect(balances.covers(usdc, OWNER, 10n)).toBe(false);
    balances.record(usdc, OWNER, 10n);
    balances.forget(usdc, OWNER);
    expect(balances.covers(usdc, OWNER, 1n)).toBe(false);
  });

  it("spending without a reading records nothing", () => {
    const { balances } = clocked();
    balances.spend(usdc, OWNER, 10n);
    expect(balances.covers(usdc, OWNER, 0n)).toBe(false);
  });
});
