import type { SignInSigning } from "../types.js";
import { encodeBase58 } from "./base58.js";
import { asSolanaSigner } from "./signer.js";

/**
 * Sign-in on Solana: Ed25519 over the SIWS text's UTF-8 bytes, base58, as servers verify it.
 * The key also signs transaction messages, but a sign-in text cannot be one: it starts with
 * the site's host in ASCII and holds no control characters, so its first bytes never make the
 * header and account table of a transaction holding this wallet's public key as a signer.
 */
export const solanaSignIn: SignInSigning = {
  type: "ed25519",
  sign: async (signer, message) => encodeBase58(asSolanaSigner(signer).signMessage(new TextEncoder().encode(message))),
};
