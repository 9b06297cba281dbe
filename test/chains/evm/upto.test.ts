import { PERMIT2_ADDRESS as X402_PERMIT2, uptoPermit2WitnessTypes, x402UptoPermit2ProxyAddress } from "@x402/evm";
import { recoverTypedDataAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { KNOWN_ASSETS } from "../../../src/chains/evm/assets.js";
import { uptoEvmScheme } from "../../../src/chains/evm/schemes/upto/index.js";
import { findScheme } from "../../../src/chains/index.js";
import { MAX_VALIDITY_SECONDS, MIN_VALIDITY_SECONDS } from "../../../src/chains/signingWindow.js";
import { parsePaymentRequired } from "../../../src/x402/parsePaymentRequired.js";
import { BASE_SEPOLIA_USDC, PAY_TO, v1Requirement, v1Response, v2Requirement, v2Response } from "../../x402/helpers.js";

const account = privateKeyToAccount(generatePrivateKey());
const asset = KNOWN_ASSETS.find((a) => a.network === "eip155:84532")!;
const FACILITATOR = "0x2222222222222222222222222222222222222222";

interface UptoPayload {
  x402Version: number;
  accepted: Record<string, unknown>;
  payload: {
    signature: Hex;
    permit2Authorization: {
      from: string;
      permitted: { token: string; amount: string };
      spender: string;
      nonce: string;
      deadline: string;
      witness: { to: string; facilitator: string; validAfter: string };
    };
  };
}

function uptoRequired(overrides: Record<string, unknown> = {}, extra: Record<string, unknown> = { facilitatorAddress: FACILITATOR }) {
  return parsePaymentRequired(
    v2Response([v2Requirement({ scheme: "upto", amount: "50000", maxTimeoutSeconds: 300, extra: { name: "USDC", version: "2", assetTransferMethod: "permit2", ...extra }, ...overrides })]),
  );
}

async function signUpto(required = uptoRequired()) {
  const option = required.options[0]!;
  const signed = await uptoEvmScheme.prepare({ account, option, asset, required }).sign();
  return { option, signed, payload: signed.payload as unknown as UptoPayload };
}

describe("upto on EVM signing", () => {
  it("is the scheme the registry finds for an upto option", () => {
    expect(findScheme(uptoRequired().options[0]!)).toBe(uptoEvmScheme);
  });

  it("signs the maximum for x402's upto proxy, witness { payTo, extra.facilitatorAddress, 0 }, in the official payload shape", async () => {
    const { option, signed, payload } = await signUpto();
    const auth = payload.payload.permit2Authorization;
    expect(payload.x402Version).toBe(2);
    expect(payload.accepted).toEqual(option.wire);
    expect(auth).toMatchObject({
      from: account.address,
      permitted: { token: BASE_SEPOLIA_USDC, amount: "50000" },
      spender: x402UptoPermit2ProxyAddress,
      witness: { to: PAY_TO, facilitator: FACILITATOR, validAfter: "0" },
    });
    expect(auth.nonce).toMatch(/^\d{1,78}$/);
    expect(signed).toMatchObject({ payer: account.address, nonce: auth.nonce, validBefore: Number(auth.deadline), authorization: { kind: "permit2", nonce: auth.nonce } });
    // The signature recovers to the wallet under the official client's own upto typed data.
    const recovered = await recoverTypedDataAddress({
      domain: { name: "Permit2", chainId: 84532, verifyingContract: X402_PERMIT2 },
      types: uptoPermit2WitnessTypes,
      primaryType: "PermitWitnessTransferFrom",
      message: {
        permitted: { token: BASE_SEPOLIA_USDC, amount: 50_000n },
        spender: x402UptoPermit2ProxyAddress,
        nonce: BigInt(auth.nonce),
        deadline: BigInt(auth.deadline),
        witness: { to: PAY_TO, facilitator: FACILITATOR, validAfter: 0n },
      },
      signature: payload.payload.signature,
    });
    expect(recovered).toBe(account.address);
  });

  it.each([
    [0, MIN_VALIDITY_SECONDS],
    [300, 300],
    [10 * 365 * 24 * 3600, MAX_VALIDITY_SECONDS],
  ])("bounds the deadline when the server asks for %i s, as exact bounds validBefore", async (requested, expected) => {
    const before = Math.floor(Date.now() / 1000);
    const { payload } = await signUpto(uptoRequired({ maxTimeoutSeconds: requested }));
    const deadline = Number(payload.payload.permit2Authorization.deadline);
    expect(deadline - before).toBeGreaterThanOrEqual(expected - 1);
    expect(deadline - before).toBeLessThanOrEqual(expected + 2);
  });

  it.each([
    ["facilitatorAddress missing", {}, /facilitatorAddress is missing/],
    ["facilitatorAddress not an address", { facilitatorAddress: "0x1234" }, /facilitatorAddress "0x1234" is not an EVM address/],
    ["facilitatorAddress not a string", { facilitatorAddress: 42 }, /facilitatorAddress 42 is not an EVM address/],
    ["facilitatorAddress the zero address", { facilitatorAddress: `0x${"0".repeat(40)}` }, /is not an EVM address/],
    ["another spender", { facilitatorAddress: FACILITATOR, spender: "0x3333333333333333333333333333333333333333" }, /not x402's upto proxy/],
    ["EIP-3009", { facilitatorAddress: FACILITATOR, assetTransferMethod: "eip3009" }, /only Permit2 signs a maximum/],
  ])("refuses an option with %s, and prepares nothing for it", (_case, extra, reason) => {
    const required = uptoRequired({}, extra);
    const option = required.options[0]!;
    expect(uptoEvmScheme.refusal(option, asset)).toMatch(reason);
    expect(() => uptoEvmScheme.prepare({ account, option, asset, required })).toThrow(reason);
  });

  it("refuses x402 v1 upto and accepts the upto proxy named as spender", () => {
    const v1 = parsePaymentRequired(v1Response([v1Requirement({ scheme: "upto", extra: { facilitatorAddress: FACILITATOR } })])).options[0]!;
    expect(uptoEvmScheme.refusal(v1, asset)).toMatch(/x402 v1 has no upto/);
    const named = uptoRequired({}, { facilitatorAddress: FACILITATOR, spender: x402UptoPermit2ProxyAddress.toLowerCase() }).options[0]!;
    expect(uptoEvmScheme.refusal(named, asset)).toBeNull();
  });

  it("never signs a maximum of 0: the parser refuses such an option", () => {
    expect(() => uptoRequired({ amount: "0" })).toThrow(/amount must be greater than zero/);
  });
});
