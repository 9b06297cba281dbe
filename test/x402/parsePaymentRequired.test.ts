import { describe, expect, it } from "vitest";
import { CodedError } from "../../src/errors.js";
import { parsePaymentRequired } from "../../src/x402/parsePaymentRequired.js";
import { responseWith, v1Requirement, v1Response, v2Requirement, v2Response } from "./helpers.js";

function expectInvalid(fn: () => unknown, fragment: string | RegExp): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CodedError);
    expect((error as CodedError).code).toBe("INVALID_PAYMENT_REQUIRED");
    expect((error as CodedError).message).toMatch(fragment);
    return;
  }
  throw new Error("expected INVALID_PAYMENT_REQUIRED");
}

describe("parsePaymentRequired", () => {
  it("reads a v2 PAYMENT-REQUIRED header into the internal option shape", () => {
    const parsed = parsePaymentRequired(v2Response([v2Requirement()], { error: "pay me" }));
    expect(parsed.x402Version).toBe(2);
    expect(parsed.error).toBe("pay me");
    expect(parsed.resource?.url).toBe("http://api.test/paid");
    expect(parsed.options).toHaveLength(1);
    const option = parsed.options[0]!;
    expect(option.amount).toBe(10_000n);
    expect(option.network).toBe("eip155:84532");
    expect(option.wire).toEqual(v2Requirement());
  });

  it("reads a v1 body and maps its network name to CAIP-2", () => {
    const parsed = parsePaymentRequired(v1Response([v1Requirement()]));
    expect(parsed.x402Version).toBe(1);
    const option = parsed.options[0]!;
    expect(option.network).toBe("eip155:84532");
    expect(option.wireNetwork).toBe("base-sepolia");
    expect(option.amount).toBe(10_000n);
    expect(option.resource).toBe("http://api.test/paid");
  });

  it("prefers the v2 header over a body", () => {
    const header = v2Response([v2Requirement()]).header("payment-required")!;
    const parsed = parsePaymentRequired(responseWith({ "payment-required": header }, JSON.stringify({ x402Version: 1, accepts: [] })));
    expect(parsed.x402Version).toBe(2);
  });

  it("refuses headers that are not base64, not JSON, or the wrong shape", () => {
    expectInvalid(() => parsePaymentRequired(responseWith({ "payment-required": "%%%not base64%%%" }, "")), /not base64/);
    expectInvalid(
      () => parsePaymentRequired(responseWith({ "payment-required": Buffer.from("hello").toString("base64") }, "")),
      /not JSON/,
    );
    expectInvalid(
      () => parsePaymentRequired(responseWith({ "payment-required": Buffer.from('{"x402Version":2}').toString("base64") }, "")),
      /accepts/,
    );
  });

  it("refuses a 402 with no x402 content", () => {
    expectInvalid(() => parsePaymentRequired(responseWith({}, "<html>pay up</html>")), /no PAYMENT-REQUIRED header/);
    expectInvalid(() => parsePaymentRequired(v1Response([])), /offers no payment option/);
  });

  it.each([
    ["negative", "-1"],
    ["fractional", "1.5"],
    ["hexadecimal", "0x10"],
    ["80 digits", "9".repeat(80)],
    ["zero", "0"],
    ["a number, not a string", 10000],
  ])("drops an option whose amount is %s", (_label, amount) => {
    expectInvalid(() => parsePaymentRequired(v1Response([v1Requirement({ maxAmountRequired: amount })])), /maxAmountRequired/);
    expectInvalid(() => parsePaymentRequired(v2Response([v2Requirement({ amount })])), /amount/);
  });

  it("refuses amounts above uint256 but accepts 2^256-1 (caps refuse it later)", () => {
    const max = (2n ** 256n - 1n).toString();
    expect(parsePaymentRequired(v2Response([v2Requirement({ amount: max })])).options[0]!.amount).toBe(2n ** 256n - 1n);
    expectInvalid(() => parsePaymentRequired(v2Response([v2Requirement({ amount: (2n ** 256n).toString() })])), /uint256/);
  });

  it("keeps the one valid option among junk and says what was dropped", () => {
    const junk = Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? "junk" : { scheme: "exact", amount: "x" }));
    const parsed = parsePaymentRequired(v2Response([...junk, v2Requirement()]));
    expect(parsed.options).toHaveLength(1);
    expect(parsed.malformed).toHaveLength(100);
  });

  it("refuses a v1 option missing payTo", () => {
    const { payTo: _drop, ...withoutPayTo } = v1Requirement();
    expectInvalid(() => parsePaymentRequired(v1Response([withoutPayTo])), /payTo/);
  });
});
