import { describe, expect, it } from "vitest";
import { verifyTokenDeltas, type TokenBalanceEntry } from "../../../src/chains/solana/verifySettlement.js";
import type { ExpectedSettlement } from "../../../src/chains/types.js";

const MINT = "4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU";
const OTHER_MINT = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
const PAYER = "ATiWLU1HZJ3wQWT2fiXk7x1rugBe5SZEDBoDiVbkAfAS";
const PAY_TO = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin";
const OURS = "3azWdyAHfbUE3eSGVN3hqYAYZiDBXRk5J6YgsVGmjdg4Lu1gvvkbCa9csnZoyFLYwnLASx5L1ADuCAorcrbL4PZ6";
const FEE_PAYERS = "4SFAHkhCqkB5kCHfSFktKmeeLMLAGRMijVCmV1jRKkaQJvL898ZGZC38Z5RFaGeXTFZQNXZ2Kz4AhZq4tMFRsxHR";

const expected: ExpectedSettlement = {
  network: "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1",
  transaction: FEE_PAYERS,
  asset: MINT,
  from: PAYER,
  to: PAY_TO,
  amount: 10_000n,
  authorization: { kind: "solana-signature", nonce: OURS },
};
const entry = (accountIndex: number, owner: string, amount: bigint, mint = MINT): TokenBalanceEntry => ({ accountIndex, mint, owner, amount });
const pre = [entry(1, PAYER, 50_000n), entry(2, PAY_TO, 0n)];
const post = (payer: bigint, payTo: bigint, mint = MINT) => [entry(1, PAYER, payer, mint), entry(2, PAY_TO, payTo, mint)];

describe("a Solana settlement is verified from the transaction's token balances", () => {
  it("verified: our signature is among the transaction's, payer down and payTo up by exactly the amount", () => {
    expect(verifyTokenDeltas(expected, [FEE_PAYERS, OURS], pre, post(40_000n, 10_000n))).toEqual({ status: "verified" });
  });

  it("mismatch: another amount, another mint, or a transaction without our signature", () => {
    expect(verifyTokenDeltas(expected, [FEE_PAYERS, OURS], pre, post(49_000n, 1_000n))).toMatchObject({ status: "mismatch" });
    expect(verifyTokenDeltas(expected, [FEE_PAYERS, OURS], pre, post(40_000n, 10_000n, OTHER_MINT))).toMatchObject({ status: "mismatch" });
    expect(verifyTokenDeltas(expected, [FEE_PAYERS], pre, post(40_000n, 10_000n))).toMatchObject({
      status: "mismatch",
      detail: expect.stringContaining("does not carry this wallet's signature"),
    });
  });

  it("unattributed without our signature on record", () => {
    expect(verifyTokenDeltas({ ...expected, authorization: undefined }, [FEE_PAYERS, OURS], pre, post(40_000n, 10_000n))).toMatchObject({ status: "unattributed" });
  });
});
