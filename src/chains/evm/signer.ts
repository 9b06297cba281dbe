import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { isAddress } from "viem/utils";
import { CodedError, ErrorCode } from "../../errors.js";
import type { ChainSigner } from "../types.js";

const PRIVATE_KEY = /^0x[0-9a-fA-F]{64}$/;

/** The wallet's key on EVM networks: a viem local account (any PrivateKeyAccount is one). */
export interface EvmSigner extends ChainSigner {
  readonly address: Address;
  sign(parameters: { hash: Hex }): Promise<Hex>;
  /** EIP-191 personal message: the prefix keeps a sign-in text apart from transactions and typed data. */
  signMessage(parameters: { message: string }): Promise<Hex>;
}

/** The EVM signer for a secp256k1 key given as 64 hex digits, with or without 0x. The key never appears in an error. */
export function evmSigner(key: string, source: string): EvmSigner {
  const normalized = key.startsWith("0x") || key.startsWith("0X") ? `0x${key.slice(2)}` : `0x${key}`;
  if (!PRIVATE_KEY.test(normalized)) {
    throw new CodedError(
      ErrorCode.CONFIG_INVALID,
      `${source} does not hold a private key: expected 0x followed by 64 hex digits (the value is not shown).`,
    );
  }
  return privateKeyToAccount(normalized as Hex);
}

/** The payment path hands schemes the wallet's signer as a ChainSigner; an EVM scheme signs only with an EVM one. */
export function asEvmSigner(signer: ChainSigner): EvmSigner {
  const candidate = signer as Partial<EvmSigner>;
  if (typeof candidate.sign !== "function" || typeof candidate.signMessage !== "function" || !isAddress(signer.address, { strict: false })) {
    throw new Error("the wallet's key is not an EVM key");
  }
  return signer as EvmSigner;
}
