import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KNOWN_ASSETS } from "../../src/chains/evm/assets.js";
import { CodedError } from "../../src/errors.js";
import { parsePaymentRequired } from "../../src/x402/parsePaymentRequired.js";
import { parseSettlement } from "../../src/x402/parseSettlement.js";
import { selectPaymentOption } from "../../src/x402/select.js";

const policy = { networks: ["eip155:84532", "eip155:8453"], assets: KNOWN_ASSETS, payees: { allow: [], deny: [] } };
const b64 = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64");
const response = (headers: Record<string, string>, bodyText: string) => ({
  url: "http://hostile.test/",
  header: (name: string) => headers[name.toLowerCase()],
  bodyText,
});

/** Values near a real requirement: right keys, wrong or right values of every type. */
const wildValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }).map(String),
  fc.constantFrom("exact", "eip155:84532", "base-sepolia", "eip155:1", KNOWN_ASSETS[1]!.address, "0x" + "1".repeat(40), "10000", "0", "-1"),
  fc.dictionary(fc.string(), fc.jsonValue()),
);
const nearRequirement = fc.record(
  {
    scheme: wildValue,
    network: wildValue,
    amount: wildValue,
    maxAmountRequired: wildValue,
    asset: wildValue,
    payTo: wildValue,
    maxTimeoutSeconds: wildValue,
    extra: wildValue,
  },
  { requiredKeys: [] },
);
const nearPaymentRequired = fc.record({
  x402Version: fc.oneof(fc.constantFrom(1, 2), wildValue),
  accepts: fc.oneof(fc.array(fc.oneof(nearRequirement, fc.jsonValue()), { maxLength: 8 }), wildValue),
  error: fc.option(wildValue),
  resource: fc.option(fc.oneof(fc.record({ url: wildValue }), wildValue)),
});

/** Runs the parser and selection; only our typed errors may escape, and any choice must be payable. */
function parseAndSelect(input: ReturnType<typeof response>): void {
  try {
    const required = parsePaymentRequired(input);
    expect(required.options.length).toBeGreaterThan(0);
    for (const option of required.options) {
      expect(option.amount).toBeGreaterThan(0n);
      expect(option.amount).toBeLessThanOrEqual(2n ** 256n - 1n);
    }
    const chosen = selectPaymentOption(required, policy, input.url);
    expect(policy.networks).toContain(chosen.option.network);
    expect(KNOWN_ASSETS).toContain(chosen.asset);
    expect(chosen.option.scheme).toBe("exact");
  } catch (error) {
    if (!(error instanceof CodedError)) throw error;
    expect(["INVALID_PAYMENT_REQUIRED", "NO_ACCEPTABLE_PAYMENT_OPTION", "PAYEE_NOT_ALLOWED"]).toContain(error.code);
  }
}

describe("402 parsers under arbitrary input", () => {
  it("any PAYMENT-REQUIRED header string: valid requirements or a typed error", () => {
    fc.assert(fc.property(fc.string({ maxLength: 2000 }), (header) => parseAndSelect(response({ "payment-required": header }, ""))), {
      numRuns: 2000,
    });
  });

  it("any JSON, base64-encoded in the header or sent as a v1 body", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        parseAndSelect(response({ "payment-required": b64(value) }, ""));
        parseAndSelect(response({}, JSON.stringify(value)));
      }),
      { numRuns: 2000 },
    );
  });

  it("objects shaped almost like a real 402, in both versions", () => {
    fc.assert(
      fc.property(nearPaymentRequired, (value) => {
        parseAndSelect(response({ "payment-required": b64(value) }, ""));
        parseAndSelect(response({}, JSON.stringify(value)));
      }),
      { numRuns: 3000 },
    );
  });

  it("the settlement header parser never throws", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue().map(b64)), fc.constantFrom(1 as const, 2 as const), (header, version) => {
        const settlement = parseSettlement(version, () => header);
        expect(["settled", "failed", "missing", "unreadable"]).toContain(settlement.kind);
        if (settlement.kind === "settled") expect(settlement.transaction).toMatch(/^0x[0-9a-fA-F]{64}$/);
      }),
      { numRuns: 2000 },
    );
  });
});
