import { createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";
import { CodedError, ErrorCode } from "../../errors.js";
import type { ChainSigner } from "../types.js";
import { decodeBase58, encodeBase58, isSolanaAddress } from "./base58.js";

/** The wallet's Ed25519 key on Solana: its base58 address and a signature over a transaction message. */
export interface SolanaSigner extends ChainSigner {
  readonly address: string;
  signMessage(message: Uint8Array): Uint8Array;
}

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410), so node:crypto can hold it.
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * The Solana signer for a 64-byte secret key (seed then public key) given as solana-keygen's
 * JSON byte array or as base58. The public half must be the seed's own, so a file pasted
 * together from two keys is refused instead of paying from an address nobody controls. The
 * key never appears in an error. Signing is node:crypto's Ed25519, synchronous, so the
 * signature is known when the payment's terms are written down.
 */
export function solanaSigner(key: string, source: string): SolanaSigner {
  const bytes = secretKeyBytes(key.trim());
  if (!bytes) {
    throw new CodedError(
      ErrorCode.CONFIG_INVALID,
      `${source} does not hold a Solana secret key: expected 64 bytes as a JSON array of numbers (solana-keygen's file) or as base58 (the value is not shown).`,
    );
  }
  const privateKey: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, bytes.subarray(0, 32)]), format: "der", type: "pkcs8" });
  const publicKey = createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(-32);
  if (!publicKey.equals(bytes.subarray(32))) {
    throw new CodedError(
      ErrorCode.CONFIG_INVALID,
      `${source} holds 64 bytes whose second half is not the public key of the first: not a Solana keypair (the value is not shown).`,
    );
  }
  bytes.fill(0);
  return {
    address: encodeBase58(publicKey),
    signMessage: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

function secretKeyBytes(text: string): Buffer | undefined {
  if (text.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    const valid = Array.isArray(parsed) && parsed.length === 64 && parsed.every((b) => Number.isInteger(b) && b >= 0 && b <= 255);
    return valid ? Buffer.from(parsed as number[]) : undefined;
  }
  const decoded = decodeBase58(text);
  return decoded?.length === 64 ? Buffer.from(decoded) : undefined;
}

/** The payment path hands schemes the signer of the option's family; a Solana scheme signs only with a Solana one. */
export function asSolanaSigner(signer: ChainSigner): SolanaSigner {
  const candidate = signer as Partial<SolanaSigner>;
  if (typeof candidate.signMessage !== "function" || !isSolanaAddress(signer.address)) throw new Error("the wallet's key is not a Solana key");
  return signer as SolanaSigner;
}
