import { encodeJsonHeader } from "../../headers.js";
import type { SignInInfo } from "./parseChallenge.js";

export interface SignInProof {
  info: SignInInfo;
  chainId: string;
  /** The signature type the server named with that chain (`eip191`, `ed25519`). */
  type: string;
  address: string;
  /** As the family writes it: 0x hex (EVM), base58 (Solana). */
  signature: string;
}

/**
 * The `SIGN-IN-WITH-X` header: base64 of the JSON the server parses, every field of the
 * challenge echoed as received with the chain, the address and the signature added.
 */
export function encodeSignInHeader(proof: SignInProof): string {
  const { info } = proof;
  return encodeJsonHeader({
    domain: info.domain,
    address: proof.address,
    statement: info.statement,
    uri: info.uri,
    version: info.version,
    chainId: proof.chainId,
    type: proof.type,
    nonce: info.nonce,
    issuedAt: info.issuedAt,
    expirationTime: info.expirationTime,
    notBefore: info.notBefore,
    requestId: info.requestId,
    resources: info.resources,
    signature: proof.signature,
  });
}
