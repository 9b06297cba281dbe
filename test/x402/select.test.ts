import { describe, expect, it } from "vitest";
import { KNOWN_ASSETS } from "../../src/chains/evm/assets.js";
import { CodedError } from "../../src/errors.js";
import { parsePaymentRequired } from "../../src/x402/parsePaymentRequired.js";
import { evaluateOptions, selectPaymentOption } from "../../src/x402/select.js";
import { v1Requirement, v1Response, v2Requirement, v2Response } from "./helpers.js";

const policy = { networks: ["eip155:84532"], assets: KNOWN_ASSETS, payees: { allow: [], deny: [] } };
const select = (response: ReturnType<typeof v2Response>) =>
  selectPaymentOption(parsePaymentRequired(response), policy, "http://api.test/paid");

function refusal(response: ReturnType<typeof v2Response>): CodedError {
  try {
    select(response);
  } catch (error) {
    expect((error as CodedError).code).toBe("NO_ACCEPTABLE_PAYMENT_OPTION");
    return error as CodedError;
  }
  throw new Error("expected NO_ACCEPTABLE_PAYMENT_OPTION");
}

describe("selectPaymentOption", () => {
  it("chooses the cheapest payable option and prices it in USD micros", () => {
    const response = v2Response([v2Requirement({ amount: "50000" }), v2Requirement({ amount: "20000" }), v2Requirement({ amount: "30000" })]);
    const chosen = select(response);
    expect(chosen.option.amount).toBe(20_000n);
    expect(chosen.usdMicros).toBe(20_000n);
    expect(chosen.asset.symbol).toBe("USDC");
    const { payable } = evaluateOptions(parsePaymentRequired(response), policy);
    expect(payable.map((p) => p.usdMicros)).toEqual([20_000n, 30_000n, 50_000n]);
  });

  it("at one price, prefers the network listed first in `networks`, whatever the server's order", () => {
    const base = KNOWN_ASSETS.find((a) => a.network === "eip155:8453" && a.symbol === "USDC")!.address;
    const options = [v2Requirement({ amount: "10000" }), v2Requirement({ network: "eip155:8453", asset: base, amount: "10000" })];
    const networksOf = (networks: string[]) =>
      evaluateOptions(parsePaymentRequired(v2Response(options)), { ...policy, networks }).payable.map((p) => p.option.network);
    expect(networksOf(["eip155:84532", "eip155:8453"])).toEqual(["eip155:84532", "eip155:8453"]);
    expect(networksOf(["eip155:8453", "eip155:84532"])).toEqual(["eip155:8453", "eip155:84532"]);
  });

  it("skips what it cannot pay and pays what it can", () => {
    const chosen = select(
      v2Response([
        v2Requirement({ network: "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp", amount: "1" }),
        v2Requirement({ scheme: "upto", amount: "1" }),
        v2Requirement({ asset: "0x0000000000000000000000000000000000000bad", amount: "1" }),
        v2Requirement({ amount: "40000" }),
      ]),
    );
    expect(chosen.option.amount).toBe(40_000n);
  });

  it("refuses an unknown network, scheme or asset with the reason for each", () => {
    expect(refusal(v2Response([v2Requirement({ network: "eip155:1" })])).message).toMatch(/eip155:1 is not enabled/);
    expect(refusal(v2Response([v2Requirement({ network: "solana:mainnet" })])).message).toMatch(/network solana:mainnet is not enabled/);
    expect(refusal(v2Response([v2Requirement({ scheme: "stream" })])).message).toMatch(/scheme "stream"/);
    expect(refusal(v2Response([v2Requirement({ scheme: "upto" })])).message).toMatch(/upto .*facilitatorAddress is missing/);
    expect(refusal(v2Response([v2Requirement({ asset: "0x0000000000000000000000000000000000000bad" })])).message).toMatch(
      /not a known token/,
    );
  });

  it("refuses USDC's Base mainnet address offered on Base Sepolia", () => {
    const err = refusal(v2Response([v2Requirement({ asset: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913" })]));
    expect(err.message).toMatch(/not a known token on eip155:84532/);
  });

  it("refuses a payTo or asset that is not an address, and transfer methods it does not know; Permit2 goes to its own scheme", () => {
    expect(refusal(v2Response([v2Requirement({ payTo: "not-an-address" })])).message).toMatch(/payTo/);
    expect(refusal(v2Response([v2Requirement({ extra: { assetTransferMethod: "eip7702" } })])).message).toMatch(/eip7702/);
    const permit2 = selectPaymentOption(parsePaymentRequired(v2Response([v2Requirement({ extra: { assetTransferMethod: "permit2" } })])), policy, "u");
    expect(permit2.scheme.label).toBe("exact through Permit2 on EVM");
  });

  it("applies payee rules, with PAYEE_NOT_ALLOWED when they alone refuse", () => {
    const denied = { ...policy, payees: { allow: [], deny: ["0x1111111111111111111111111111111111111111"] } };
    expect(() => selectPaymentOption(parsePaymentRequired(v2Response([v2Requirement()])), denied, "u")).toThrow(
      expect.objectContaining({ code: "PAYEE_NOT_ALLOWED" }),
    );
    const allowOther = { ...policy, payees: { allow: ["0x2222222222222222222222222222222222222222"], deny: [] } };
    const chosen = selectPaymentOption(
      parsePaymentRequired(v2Response([v2Requirement({ amount: "1" }), v2Requirement({ payTo: "0x2222222222222222222222222222222222222222" })])),
      allowOther,
      "u",
    );
    expect(chosen.option.payTo).toBe("0x2222222222222222222222222222222222222222");
  });

  it("maps v1 network names and selects them like v2", () => {
    const chosen = selectPaymentOption(parsePaymentRequired(v1Response([v1Requirement()])), policy, "u");
    expect(chosen.option.network).toBe("eip155:84532");
    expect(() => selectPaymentOption(parsePaymentRequired(v1Response([v1Requirement({ network: "base" })])), policy, "u")).toThrow(
      /eip155:8453 is not enabled/,
    );
  });
});
