import { permit2WitnessTypes, PERMIT2_ADDRESS as X402_PERMIT2, uptoPermit2WitnessTypes, x402ExactPermit2ProxyAddress, x402UptoPermit2ProxyAddress } from "@x402/evm";
import { hashTypedData, recoverAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  EXACT_WITNESS_FIELDS,
  PERMIT2_ADDRESS,
  UPTO_WITNESS_FIELDS,
  X402_EXACT_PERMIT2_PROXY,
  X402_UPTO_PERMIT2_PROXY,
} from "../../../src/chains/evm/permit2/constants.js";
import { randomPermit2Nonce } from "../../../src/chains/evm/permit2/nonce.js";
import { permitWitnessTransferDigest, signPermitWitnessTransfer } from "../../../src/chains/evm/permit2/permitWitnessTransfer.js";

const account = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const permit = {
  permitted: { token: "0x9a1e000000000000000000000000000000000018" as const, amount: 10n ** 16n },
  spender: X402_EXACT_PERMIT2_PROXY,
  nonce: 123456789n,
  deadline: 1_900_000_000n,
  witness: { to: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const, validAfter: 0n },
};

describe("Permit2 constants and typed data", () => {
  it("uses the addresses @x402/evm signs for", () => {
    expect(PERMIT2_ADDRESS).toBe(X402_PERMIT2);
    expect(X402_EXACT_PERMIT2_PROXY).toBe(x402ExactPermit2ProxyAddress);
    expect(X402_UPTO_PERMIT2_PROXY).toBe(x402UptoPermit2ProxyAddress);
  });

  it("hashes the exact witness permit as the official client's typed data does", () => {
    const official = hashTypedData({
      domain: { name: "Permit2", chainId: 84532, verifyingContract: X402_PERMIT2 },
      types: permit2WitnessTypes,
      primaryType: "PermitWitnessTransferFrom",
      message: permit,
    });
    expect(permitWitnessTransferDigest(84532, EXACT_WITNESS_FIELDS, permit)).toBe(official);
    expect(permitWitnessTransferDigest(8453, EXACT_WITNESS_FIELDS, permit)).not.toBe(official);
  });

  it("hashes the upto witness permit as the official client's typed data does", () => {
    const upto = { ...permit, spender: X402_UPTO_PERMIT2_PROXY, witness: { to: permit.witness.to, facilitator: account.address, validAfter: 0n } };
    const official = hashTypedData({
      domain: { name: "Permit2", chainId: 137, verifyingContract: X402_PERMIT2 },
      types: uptoPermit2WitnessTypes,
      primaryType: "PermitWitnessTransferFrom",
      message: upto,
    });
    expect(permitWitnessTransferDigest(137, UPTO_WITNESS_FIELDS, upto)).toBe(official);
  });

  it("signs with the wallet's key", async () => {
    const signature = await signPermitWitnessTransfer(account, 84532, EXACT_WITNESS_FIELDS, permit);
    const hash = permitWitnessTransferDigest(84532, EXACT_WITNESS_FIELDS, permit);
    expect(await recoverAddress({ hash, signature })).toBe(account.address);
  });

  it("draws 256-bit nonces as decimal strings", () => {
    const nonces = Array.from({ length: 64 }, randomPermit2Nonce);
    expect(new Set(nonces).size).toBe(64);
    for (const n of nonces) {
      expect(n).toMatch(/^[0-9]+$/);
      expect(BigInt(n) < 2n ** 256n).toBe(true);
    }
    expect(nonces.some((n) => BigInt(n) >= 2n ** 200n)).toBe(true);
  });
});
