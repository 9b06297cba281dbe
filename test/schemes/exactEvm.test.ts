import { recoverTypedDataAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { KNOWN_ASSETS } from "../../src/chains/evm/assets.js";
import { exactEvmScheme } from "../../src/chains/evm/schemes/exact-eip3009/index.js";
import { MAX_VALIDITY_SECONDS, MIN_VALIDITY_SECONDS } from "../../src/chains/signingWindow.js";
import { parsePaymentRequired } from "../../src/x402/parsePaymentRequired.js";
import { BASE_SEPOLIA_USDC, v1Requirement, v1Response, v2Requirement, v2Response } from "../x402/helpers.js";
import { TRANSFER_WITH_AUTHORIZATION_TYPES } from "./transferAuthorizationTypes.js";

const account = privateKeyToAccount(generatePrivateKey());
const asset = KNOWN_ASSETS.find((a) => a.network === "eip155:84532")!;

interface Signed {
  authorization: { from: string; to: string; value: string; validAfter: string; validBefore: string; nonce: Hex };
  signature: Hex;
}

async function signerOf(signed: Signed, domainName: string): Promise<string> {
  const a = signed.authorization;
  return recoverTypedDataAddress({
    domain: { name: domainName, version: "2", chainId: 84532, verifyingContract: BASE_SEPOLIA_USDC },
    types: TRANSFER_WITH_AUTHORIZATION_TYPES,
    primaryType: "TransferWithAuthorization",
    message: {
      from: a.from as Hex,
      to: a.to as Hex,
      value: BigInt(a.value),
      validAfter: BigInt(a.validAfter),
      validBefore: BigInt(a.validBefore),
      nonce: a.nonce,
    },
    signature: signed.signature,
  });
}

describe("exact on EVM signing", () => {
  it("signs a v2 EIP-3009 authorization under the token's real domain, not the server's extra", async () => {
    const required = parsePaymentRequired(v2Response([v2Requirement({ extra: { name: "Evil Token", version: "9" } })]));
    const option = required.options[0]!;
    const signed = await exactEvmScheme.prepare({ account, option, asset, required }).sign();
    const payload = signed.payload as { x402Version: number; accepted: unknown; resource: unknown; payload: Signed };
    expect(payload.x402Version).toBe(2);
    expect(payload.accepted).toEqual(option.wire);
    expect(payload.resource).toEqual({ url: "http://api.test/paid" });
    expect(payload.payload.authorization.value).toBe("10000");
    expect(await signerOf(payload.payload, "USDC")).toBe(account.address);
    expect(await signerOf(payload.payload, "Evil Token")).not.toBe(account.address);
  });

  it("signs with the token's real domain when the server sends no extra at all", async () => {
    const { extra: _none, ...bare } = v2Requirement();
    const required = parsePaymentRequired(v2Response([bare]));
    const signed = await exactEvmScheme.prepare({ account, option: required.options[0]!, asset, required }).sign();
    expect(await signerOf((signed.payload as { payload: Signed }).payload, "USDC")).toBe(account.address);
  });

  it("signs a v1 payload with the v1 network name", async () => {
    const required = parsePaymentRequired(v1Response([v1Requirement()]));
    const signed = await exactEvmScheme.prepare({ account, option: required.options[0]!, asset, required }).sign();
    const payload = signed.payload as { x402Version: number; network: string; scheme: string; payload: Signed };
    expect(payload).toMatchObject({ x402Version: 1, network: "base-sepolia", scheme: "exact" });
    expect(await signerOf(payload.payload, "USDC")).toBe(account.address);
  });

  it.each([
    [0, MIN_VALIDITY_SECONDS],
    [-5, MIN_VALIDITY_SECONDS],
    [120, 120],
    [365 * 24 * 3600, MAX_VALIDITY_SECONDS],
  ])("bounds the validity window when the server asks for %i s", async (requested, expected) => {
    const required = parsePaymentRequired(v2Response([v2Requirement({ maxTimeoutSeconds: requested })]));
    const before = Math.floor(Date.now() / 1000);
    const signed = await exactEvmScheme.prepare({ account, option: required.options[0]!, asset, required }).sign();
    const validBefore = Number((signed.payload as { payload: Signed }).payload.authorization.validBefore);
    expect(validBefore - before).toBeGreaterThanOrEqual(expected - 1);
    expect(validBefore - before).toBeLessThanOrEqual(expected + 2);
  });

  it("signs exactly the terms it prepared (the terms the ledger records)", async () => {
    for (const required of [parsePaymentRequired(v2Response([v2Requirement()])), parsePaymentRequired(v1Response([v1Requirement()]))]) {
      const prepared = exactEvmScheme.prepare({ account, option: required.options[0]!, asset, required });
      const signed = await prepared.sign();
      const authorization = (signed.payload as { payload: Signed }).payload.authorization;
      expect({ payer: signed.payer, validBefore: signed.validBefore, nonce: signed.nonce }).toEqual({
        payer: prepared.payer,
        validBefore: prepared.validBefore,
        nonce: prepared.nonce,
      });
      expect(authorization).toMatchObject({ from: prepared.payer, validBefore: String(prepared.validBefore), nonce: prepared.nonce });
    }
  });
});
