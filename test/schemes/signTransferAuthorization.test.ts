import fc from "fast-check";
import { hashTypedData, recoverAddress, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  randomAuthorizationNonce,
  signTransferAuthorization,
  transferAuthorizationDigest,
  type TokenDomain,
  type TransferAuthorization,
} from "../../src/chains/evm/schemes/exact-eip3009/signTransferAuthorization.js";
import { TRANSFER_WITH_AUTHORIZATION_TYPES } from "./transferAuthorizationTypes.js";

const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => `0x${Buffer.from(b).toString("hex")}` as Hex);
const address = hex(20).map((h) => h as Address);
const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });

const domainArb = fc.record({
  name: fc.string({ maxLength: 40, unit: "grapheme" }),
  version: fc.string({ maxLength: 8 }),
  chainId: fc.integer({ min: 1, max: 2 ** 40 }),
  verifyingContract: address,
});
const authorizationArb = fc.record({
  from: address,
  to: address,
  value: uint256.map(String),
  validAfter: uint256.map(String),
  validBefore: uint256.map(String),
  nonce: hex(32),
});

/** The reference: viem's generic EIP-712 path. */
function viemDigest(domain: TokenDomain, a: TransferAuthorization): Hex {
  return hashTypedData({
    domain,
    types: TRANSFER_WITH_AUTHORIZATION_TYPES,
    primaryType: "TransferWithAuthorization",
    message: { ...a, value: BigInt(a.value), validAfter: BigInt(a.validAfter), validBefore: BigInt(a.validBefore) },
  });
}

describe("transferAuthorizationDigest", () => {
  it("is viem's EIP-712 digest, for any domain and authorization", () => {
    fc.assert(
      fc.property(domainArb, authorizationArb, (domain, authorization) => {
        expect(transferAuthorizationDigest(domain, authorization)).toBe(viemDigest(domain, authorization));
      }),
      { numRuns: 300 },
    );
  });

  it("changes with every field of the domain and of the authorization", () => {
    const domain: TokenDomain = { name: "USDC", version: "2", chainId: 84532, verifyingContract: "0x036CbD53842c5426634e7929541eC2318f3dCF7e" };
    const base: TransferAuthorization = {
      from: "0x1111111111111111111111111111111111111111",
      to: "0x2222222222222222222222222222222222222222",
      value: "10000",
      validAfter: "0",
      validBefore: "1900000000",
      nonce: randomAuthorizationNonce(),
    };
    const digest = transferAuthorizationDigest(domain, base);
    const variants = [
      transferAuthorizationDigest({ ...domain, name: "USD Coin" }, base),
      transferAuthorizationDigest({ ...domain, version: "1" }, base),
      transferAuthorizationDigest({ ...domain, chainId: 8453 }, base),
      transferAuthorizationDigest({ ...domain, verifyingContract: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913" }, base),
      transferAuthorizationDigest(domain, { ...base, to: "0x3333333333333333333333333333333333333333" }),
      transferAuthorizationDigest(domain, { ...base, value: "10001" }),
      transferAuthorizationDigest(domain, { ...base, validBefore: "1900000001" }),
      transferAuthorizationDigest(domain, { ...base, nonce: randomAuthorizationNonce() }),
    ];
    expect(new Set([digest, ...variants]).size).toBe(variants.length + 1);
  });
});

describe("signTransferAuthorization", () => {
  it("signs the digest with the wallet's key", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const domain: TokenDomain = { name: "USDC", version: "2", chainId: 84532, verifyingContract: "0x036CbD53842c5426634e7929541eC2318f3dCF7e" };
    const authorization: TransferAuthorization = {
      from: account.address,
      to: "0x2222222222222222222222222222222222222222",
      value: "10000",
      validAfter: "0",
      validBefore: "1900000000",
      nonce: randomAuthorizationNonce(),
    };
    const signature = await signTransferAuthorization(account, domain, authorization);
    expect(await recoverAddress({ hash: viemDigest(domain, authorization), signature })).toBe(account.address);
  });

  it("never reuses a nonce", () => {
    const nonces = new Set(Array.from({ length: 1000 }, randomAuthorizationNonce));
    expect(nonces.size).toBe(1000);
    for (const nonce of nonces) expect(nonce).toMatch(/^0x[0-9a-f]{64}$/);
  });
});
