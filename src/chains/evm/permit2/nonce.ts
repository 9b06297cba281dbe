import { randomBytes } from "node:crypto";

/**
 * A fresh Permit2 nonce: 256 random bits. Permit2's signature transfers take any unused
 * nonce (a bit in an unordered bitmap), so a random one never collides and needs no
 * on-chain read. Returned as the decimal string x402 payloads carry.
 */
export function randomPermit2Nonce(): string {
  return BigInt(`0x${randomBytes(32).toString("hex")}`).toString();
}
