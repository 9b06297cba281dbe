import type { Address, Hex } from "viem";
import { hashTypedData } from "viem/utils";
import type { EvmSigner } from "../signer.js";
import { PERMIT2_ADDRESS, type TypedField } from "./constants.js";

/**
 * Permit2's `PermitWitnessTransferFrom`: `spender` may move at most `permitted.amount` of
 * `permitted.token` from the signer, once (the nonce), until `deadline`, under the terms of
 * a witness the spender checks. `W` is the witness' shape (exact: to, validAfter).
 */
export interface PermitWitnessTransferFrom<W extends Record<string, unknown>> {
  permitted: { token: Address; amount: bigint };
  spender: Address;
  nonce: bigint;
  deadline: bigint;
  witness: W;
}

/** Permit2's EIP-712 domain on `chainId`: name "Permit2", no version. */
export function permit2Domain(chainId: number) {
  return { name: "Permit2", chainId, verifyingContract: PERMIT2_ADDRESS } as const;
}

/** The EIP-712 types of a PermitWitnessTransferFrom whose witness has `witnessFields`. */
export function permitWitnessTypes(witnessFields: readonly TypedField[]) {
  return {
    PermitWitnessTransferFrom: [
      { name: "permitted", type: "TokenPermissions" },
      { name: "spender", type: "address" },
      { name: "nonce", type: "uint256" },
      { name: "deadline", type: "uint256" },
      { name: "witness", type: "Witness" },
    ],
    TokenPermissions: [
      { name: "token", type: "address" },
      { name: "amount", type: "uint256" },
    ],
    Witness: witnessFields.map((f) => ({ ...f })),
  };
}

/** The digest Permit2 recovers the signer from, for this permit on `chainId`. */
export function permitWitnessTransferDigest<W extends Record<string, unknown>>(
  chainId: number,
  witnessFields: readonly TypedField[],
  permit: PermitWitnessTransferFrom<W>,
): Hex {
  return hashTypedData({
    domain: permit2Domain(chainId),
    types: permitWitnessTypes(witnessFields),
    primaryType: "PermitWitnessTransferFrom",
    message: permit as unknown as Record<string, unknown>,
  });
}

/** Signs the permit with the wallet's key, in this process. */
export function signPermitWitnessTransfer<W extends Record<string, unknown>>(
  account: Pick<EvmSigner, "sign">,
  chainId: number,
  witnessFields: readonly TypedField[],
  permit: PermitWitnessTransferFrom<W>,
): Promise<Hex> {
  return account.sign({ hash: permitWitnessTransferDigest(chainId, witnessFields, permit) });
}
