import type { Address } from "viem";

/**
 * Uniswap's Permit2, at the address it has on every chain (deployed through the deterministic
 * CREATE2 deployer). x402's Permit2 schemes sign for it and the wallet approves it once per token.
 */
export const PERMIT2_ADDRESS: Address = "0x000000000022D473030F116dDEE9F6B43aC78BA3";

/**
 * x402's proxies, protocol constants (the addresses @x402/evm signs for): the only spenders a
 * Permit2 payment is ever signed for. `exact` moves exactly the permitted amount to the
 * witness' `to`; `upto` moves at most it, on the call of the witness' facilitator.
 */
export const X402_EXACT_PERMIT2_PROXY: Address = "0x402085c248EeA27D92E8b30b2C58ed07f9E20001";
export const X402_UPTO_PERMIT2_PROXY: Address = "0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002";

/** One field of an EIP-712 struct. */
export interface TypedField {
  readonly name: string;
  readonly type: string;
}

/** The witness each proxy checks (its WITNESS_TYPE_STRING), field for field: the order is part of the hash. */
export const EXACT_WITNESS_FIELDS: readonly TypedField[] = [
  { name: "to", type: "address" },
  { name: "validAfter", type: "uint256" },
];
export const UPTO_WITNESS_FIELDS: readonly TypedField[] = [
  { name: "to", type: "address" },
  { name: "facilitator", type: "address" },
  { name: "validAfter", type: "uint256" },
];
