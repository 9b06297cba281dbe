import type { Address, Hex } from "viem";
import { hashStruct, hashTypedData } from "viem/utils";
import type { EvmSigner } from "../signer.js";

/** A token's EIP-712 domain, from our asset table (never a server's `extra`). */
export interface TokenDomain {
  name: string;
  version: string;
  chainId: number;
  verifyingContract: Address;
}

/** EIP-2612's `Permit`: `spender` may move `value` of the owner's token, signed with the token's `nonces(owner)`, until `deadline`. */
export interface Eip2612Permit {
  owner: Address;
  spender: Address;
  value: bigint;
  nonce: bigint;
  deadline: bigint;
}

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

const DOMAIN_TYPES = {
  EIP712Domain: [
    { name: "name", type: "string" },
    { name: "version", type: "string" },
    { name: "chainId", type: "uint256" },
    { name: "verifyingContract", type: "address" },
  ],
} as const;

/** The `DOMAIN_SEPARATOR()` a token with this domain returns; compared with the token's own before signing for it. */
export function tokenDomainSeparator(domain: TokenDomain): Hex {
  return hashStruct({ data: { ...domain, chainId: BigInt(domain.chainId) }, primaryType: "EIP712Domain", types: DOMAIN_TYPES });
}

/** The digest the token's `permit` recovers the owner from. */
export function eip2612PermitDigest(domain: TokenDomain, permit: Eip2612Permit): Hex {
  return hashTypedData({ domain, types: PERMIT_TYPES, primaryType: "Permit", message: { ...permit } });
}

/** Signs the permit with the wallet's key, in this process: 65 bytes, r ‖ s ‖ v, as the extension carries it. */
export function signEip2612Permit(account: Pick<EvmSigner, "sign">, domain: TokenDomain, permit: Eip2612Permit): Promise<Hex> {
  return account.sign({ hash: eip2612PermitDigest(domain, permit) });
}
