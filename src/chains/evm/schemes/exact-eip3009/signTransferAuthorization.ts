import { randomBytes } from "node:crypto";
import type { Address, Hex } from "viem";
import { encodeAbiParameters, hashStruct, keccak256, toHex } from "viem/utils";
import type { EvmSigner } from "../../signer.js";

/** The EIP-712 domain of an EIP-3009 token: the token's own, never one a server sends. */
export interface TokenDomain {
  name: string;
  version: string;
  chainId: number;
  verifyingContract: Address;
}

/** An EIP-3009 `TransferWithAuthorization`, in the decimal-string form x402 payloads carry. */
export interface TransferAuthorization {
  from: Address;
  to: Address;
  value: string;
  validAfter: string;
  validBefore: string;
  nonce: Hex;
}

const TRANSFER_WITH_AUTHORIZATION_TYPEHASH = keccak256(
  toHex("TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"),
);

const STRUCT_LAYOUT = [
  { type: "bytes32" },
  { type: "address" },
  { type: "address" },
  { type: "uint256" },
  { type: "uint256" },
  { type: "uint256" },
  { type: "bytes32" },
] as const;

const DOMAIN_TYPES = {
  EIP712Domain: [
    { name: "name", type: "string" },
    { name: "version", type: "string" },
    { name: "chainId", type: "uint256" },
    { name: "verifyingContract", type: "address" },
  ],
} as const;

/** A wallet pays few tokens on few chains: their separators are worked out once. */
const domainSeparators = new Map<string, Hex>();

function domainSeparator(domain: TokenDomain): Hex {
  const key = JSON.stringify([domain.chainId, domain.verifyingContract, domain.name, domain.version]);
  let separator = domainSeparators.get(key);
  if (!separator) {
    separator = hashStruct({ data: { ...domain, chainId: BigInt(domain.chainId) }, primaryType: "EIP712Domain", types: DOMAIN_TYPES });
    domainSeparators.set(key, separator);
  }
  return separator;
}

/**
 * The EIP-712 digest of one authorization, the same bytes viem's hashTypedData makes
 * (a test holds the two equal). viem's generic path validates and walks the type
 * description on every call, which was a third of signing a payment; this struct is fixed.
 */
export function transferAuthorizationDigest(domain: TokenDomain, authorization: TransferAuthorization): Hex {
  const structHash = keccak256(
    encodeAbiParameters(STRUCT_LAYOUT, [
      TRANSFER_WITH_AUTHORIZATION_TYPEHASH,
      authorization.from,
      authorization.to,
      BigInt(authorization.value),
      BigInt(authorization.validAfter),
      BigInt(authorization.validBefore),
      authorization.nonce,
    ]),
  );
  return keccak256(`0x1901${domainSeparator(domain).slice(2)}${structHash.slice(2)}`);
}

/** Signs the authorization with the wallet's key, in this process. */
export function signTransferAuthorization(account: Pick<EvmSigner, "sign">, domain: TokenDomain, authorization: TransferAuthorization): Promise<Hex> {
  return account.sign({ hash: transferAuthorizationDigest(domain, authorization) });
}

/** A fresh EIP-3009 nonce: 32 random bytes, so no two authorizations can collide. */
export function randomAuthorizationNonce(): Hex {
  return toHex(randomBytes(32));
}
