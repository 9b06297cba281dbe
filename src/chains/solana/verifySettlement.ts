import type { ExpectedSettlement, Verification } from "../types.js";

/** One token account's balance before or after a transaction, as getTransaction's meta lists it. */
export interface TokenBalanceEntry {
  accountIndex: number;
  mint: string;
  owner: string | undefined;
  amount: bigint;
}

/**
 * `verified` only when the transaction carries this wallet's signature (its id is the fee
 * payer's, the first signature, so ours is looked up among them) and it moved exactly
 * the amount of this mint from the payer's token accounts to payTo's. A transfer of another
 * amount or mint, or to someone else, is a `mismatch`.
 */
export function verifyTokenDeltas(
  expected: ExpectedSettlement,
  signatures: readonly string[],
  pre: readonly TokenBalanceEntry[],
  post: readonly TokenBalanceEntry[],
): Verification {
  const { authorization } = expected;
  if (authorization?.kind !== "solana-signature") {
    return { status: "unattributed", detail: "no signature of ours is on record for this payment" };
  }
  if (!signatures.includes(authorization.nonce)) {
    return { status: "mismatch", detail: `transaction ${expected.transaction} does not carry this wallet's signature ${authorization.nonce}: it is not the payment signed` };
  }
  const payer = deltaOf(expected.asset, expected.from, pre, post);
  const payee = deltaOf(expected.asset, expected.to, pre, post);
  if (payer !== -expected.amount || payee !== expected.amount) {
    return {
      status: "mismatch",
      detail: `the transaction moved ${-payer} of ${expected.asset} out of ${expected.from} and ${payee} into ${expected.to}; ${expected.amount} was signed`,
    };
  }
  return { status: "verified" };
}

/** The change of `owner`'s balance in `mint` across the transaction's token accounts. */
function deltaOf(mint: string, owner: string, pre: readonly TokenBalanceEntry[], post: readonly TokenBalanceEntry[]): bigint {
  const sum = (list: readonly TokenBalanceEntry[]) => list.filter((b) => b.mint === mint && b.owner === owner).reduce((s, b) => s + b.amount, 0n);
  return sum(post) - sum(pre);
}
