import { permit2WitnessTypes, PERMIT2_ADDRESS, x402ExactPermit2ProxyAddress } from "@x402/evm";
import { getAddress, recoverTypedDataAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { assetTable } from "../../../src/chains/assets.js";
import { exactPermit2Scheme } from "../../../src/chains/evm/schemes/exact-permit2/index.js";
import { findScheme } from "../../../src/chains/index.js";
import { MAX_VALIDITY_SECONDS, MIN_VALIDITY_SECONDS } from "../../../src/chains/signingWindow.js";
import { ConfigSchema } from "../../../src/config/schema.js";
import { parsePaymentRequired } from "../../../src/x402/parsePaymentRequired.js";
import { evaluateOptions } from "../../../src/x402/select.js";
import { PAY_TO, v1Requirement, v1Response, v2Requirement, v2Response } from "../../x402/helpers.js";

const TOKEN = "0x9a1e000000000000000000000000000000000018";
const entry = { network: "eip155:84532", address: TOKEN, symbol: "PLAIN", decimals: 18, usdPerUnit: "1" };
const assets = assetTable(ConfigSchema.parse({ assets: [entry] }).assets);
const policy = { networks: ["eip155:84532"], assets, payees: { allow: [], deny: [] } };
const permit2Option = (overrides: Record<string, unknown> = {}) =>
  v2Requirement({ asset: TOKEN, amount: "10000000000000000", extra: { assetTransferMethod: "permit2" }, ...overrides });

interface Permit2Payload {
  x402Version: number;
  accepted: Record<string, unknown>;
  resource?: unknown;
  payload: {
    signature: Hex;
    permit2Authorization: {
      from: string;
      permitted: { token: string; amount: string };
      spender: string;
      nonce: string;
      deadline: string;
      witness: { to: string; validAfter: string };
    };
  };
}

describe("exact through Permit2", () => {
  it("is chosen for an option that says assetTransferMethod permit2, and only for it", () => {
    const required = parsePaymentRequired(v2Response([permit2Option(), v2Requirement()]));
    expect(findScheme(required.options[0]!)).toBe(exactPermit2Scheme);
    expect(findScheme(required.options[1]!)).not.toBe(exactPermit2Scheme);
  });

  it("signs a PermitWitnessTransferFrom of exactly the price, for x402's exact proxy, to payTo, in the official payload shape", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const required = parsePaymentRequired(v2Response([permit2Option({ maxTimeoutSeconds: 120 })]));
    const [chosen] = evaluateOptions(required, policy).payable;
    expect(chosen?.scheme).toBe(exactPermit2Scheme);
    const before = Math.floor(Date.now() / 1000);
    const prepared = chosen!.scheme.prepare({ account, option: chosen!.option, asset: chosen!.asset, required });
    const signed = await prepared.sign();
    const body = signed.payload as unknown as Permit2Payload;
    const auth = body.payload.permit2Authorization;

    expect(body.x402Version).toBe(2);
    expect(body.accepted).toEqual(chosen!.option.wire);
    expect(auth).toEqual({
      from: account.address,
      permitted: { token: getAddress(TOKEN), amount: "10000000000000000" },
      spender: x402ExactPermit2ProxyAddress,
      nonce: prepared.nonce,
      deadline: String(prepared.validBefore),
      witness: { to: PAY_TO, validAfter: "0" },
    });
    expect(auth.nonce).toMatch(/^[0-9]+$/);
    expect(prepared.validBefore - before).toBeGreaterThanOrEqual(120);
    expect(prepared.validBefore - before).toBeLessThanOrEqual(121);
    expect(signed.authorization).toEqual({ kind: "permit2", nonce: auth.nonce });
    expect(signed.nonce).toBe(prepared.nonce);

    const signer = await recoverTypedDataAddress({
      domain: { name: "Permit2", chainId: 84532, verifyingContract: PERMIT2_ADDRESS },
      types: permit2WitnessTypes,
      primaryType: "PermitWitnessTransferFrom",
      message: {
        permitted: { token: getAddress(TOKEN), amount: 10n ** 16n },
        spender: x402ExactPermit2ProxyAddress,
        nonce: BigInt(auth.nonce),
        deadline: BigInt(auth.deadline),
        witness: { to: PAY_TO, validAfter: 0n },
      },
      signature: body.payload.signature,
    });
    expect(signer).toBe(account.address);
  });

  it("bounds the deadline like validBefore, whatever maxTimeoutSeconds says", () => {
    const account = privateKeyToAccount(generatePrivateKey());
    for (const [asked, window] of [
      [31_536_000, MAX_VALIDITY_SECONDS],
      [0, MIN_VALIDITY_SECONDS],
    ] as const) {
      const required = parsePaymentRequired(v2Response([permit2Option({ maxTimeoutSeconds: asked })]));
      const [chosen] = evaluateOptions(required, policy).payable;
      const now = Math.floor(Date.now() / 1000);
      const prepared = chosen!.scheme.prepare({ account, option: chosen!.option, asset: chosen!.asset, required });
      expect(prepared.validBefore - now).toBeGreaterThanOrEqual(window);
      expect(prepared.validBefore - now).toBeLessThanOrEqual(window + 1);
    }
  });

  it("draws a fresh nonce for every payment", () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const required = parsePaymentRequired(v2Response([permit2Option()]));
    const [chosen] = evaluateOptions(required, policy).payable;
    const nonces = new Set(Array.from({ length: 20 }, () => chosen!.scheme.prepare({ account, option: chosen!.option, asset: chosen!.asset, required }).nonce));
    expect(nonces.size).toBe(20);
  });

  it("refuses a token that is not a known asset, a payTo that is not an address and x402 v1, signing nothing", () => {
    const unknown = parsePaymentRequired(v2Response([permit2Option({ asset: "0x3333333333333333333333333333333333333333" })]));
    expect(evaluateOptions(unknown, policy).refused[0]?.reason).toMatch(/is not a known token/);
    const badPayTo = parsePaymentRequired(v2Response([permit2Option({ payTo: "alice" })]));
    expect(evaluateOptions(badPayTo, policy).refused[0]?.reason).toMatch(/payTo "alice" is not an EVM address/);
    const v1 = parsePaymentRequired(v1Response([v1Requirement({ asset: TOKEN, maxAmountRequired: "10000000000000000", extra: { assetTransferMethod: "permit2" } })]));
    expect(evaluateOptions(v1, policy).refused[0]?.reason).toBe("x402 v1 has no Permit2 payments");
  });

  it("signs for the table's own token address, never one spelled another way by the server", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const required = parsePaymentRequired(v2Response([permit2Option({ asset: TOKEN.toUpperCase().replace("0X", "0x") })]));
    const [chosen] = evaluateOptions(required, policy).payable;
    const signed = await chosen!.scheme.prepare({ account, option: chosen!.option, asset: chosen!.asset, required }).sign();
    expect((signed.payload as unknown as Permit2Payload).payload.permit2Authorization.permitted.token).toBe(getAddress(TOKEN));
  });
});
