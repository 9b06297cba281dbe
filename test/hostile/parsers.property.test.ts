import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KNOWN_ASSETS } from "../../src/chains/evm/assets.js";
import { SOLANA_ASSETS } from "../../src/chains/solana/assets.js";
import { decodeBase58, encodeBase58 } from "../../src/chains/solana/base58.js";
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
        if (settlement.kind === "settled" && settlement.transaction !== null) expect(settlement.transaction).toMatch(/^0x[0-9a-fA-F]{64}$/);
        if (settlement.kind === "settled" && settlement.transaction === null) expect(settlement.amount).toBe(0n);
      }),
      { numRuns: 2000 },
    );
  });

  it("a settlement's amount taken (upto) is a whole number of atomic units or the header is unreadable; no transaction only when it took nothing", () => {
    const amountValue = fc.oneof(wildValue, fc.bigInt({ min: 0n, max: 2n ** 300n }).map(String), fc.constantFrom("0", "12345", "50000", "1e3", "0x10", " 5", "5.0"));
    const settlementLike = fc.record(
      {
        success: fc.oneof(fc.constant(true), wildValue),
        transaction: fc.oneof(fc.constantFrom("", `0x${"ab".repeat(32)}`), wildValue),
        amount: amountValue,
        settledAmount: amountValue,
        network: wildValue,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(settlementLike, fc.constantFrom(1 as const, 2 as const), (value, version) => {
        const settlement = parseSettlement(version, () => b64(value));
        if (settlement.kind !== "settled") return;
        const reported = [value.amount, value.settledAmount].filter((v) => v !== undefined);
        if (reported.length === 0) expect(settlement.amount).toBeUndefined();
        else for (const v of reported) expect(settlement.amount).toBe(BigInt(v as string));
        if (settlement.transaction === null) {
          expect(settlement.amount).toBe(0n);
          expect([undefined, ""]).toContain(value.transaction);
        } else {
          expect(settlement.transaction).toBe(value.transaction);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("an upto option is chosen only with a facilitator address, a maximum above 0 and no other spender", () => {
    const facilitator = fc.oneof(wildValue, fc.constantFrom("0x" + "2".repeat(40), "0x" + "0".repeat(40), "0x1234"));
    const uptoLike = fc.record({
      scheme: fc.constantFrom("upto", "exact"),
      network: fc.constantFrom("eip155:84532", "base-sepolia"),
      amount: fc.oneof(fc.constantFrom("0", "1", "50000", "-1"), wildValue),
      asset: fc.constant(KNOWN_ASSETS.find((a) => a.network === "eip155:84532")!.address),
      payTo: fc.constant("0x" + "1".repeat(40)),
      maxTimeoutSeconds: fc.oneof(fc.constant(300), fc.integer()),
      extra: fc.record(
        { facilitatorAddress: facilitator, spender: fc.oneof(fc.constant("0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002"), wildValue), assetTransferMethod: fc.oneof(fc.constant("permit2"), wildValue) },
        { requiredKeys: [] },
      ),
    });
    fc.assert(
      fc.property(fc.array(uptoLike, { minLength: 1, maxLength: 4 }), (accepts) => {
        try {
          const required = parsePaymentRequired(response({ "payment-required": b64({ x402Version: 2, accepts }) }, ""));
          const chosen = selectPaymentOption(required, policy, "http://hostile.test/");
          if (chosen.option.scheme !== "upto") return;
          const extra = chosen.option.extra;
          expect(chosen.option.amount).toBeGreaterThan(0n);
          expect(extra.facilitatorAddress).toMatch(/^0x[0-9a-fA-F]{40}$/);
          expect(extra.facilitatorAddress).not.toMatch(/^0x0{40}$/);
          if (extra.spender !== undefined) expect(String(extra.spender).toLowerCase()).toBe("0x4020a4f3b7b90cca423b9fabcc0ce57c6c240002");
          if (extra.assetTransferMethod !== undefined) expect(extra.assetTransferMethod).toBe("permit2");
        } catch (error) {
          if (!(error instanceof CodedError)) throw error;
          expect(["INVALID_PAYMENT_REQUIRED", "NO_ACCEPTABLE_PAYMENT_OPTION"]).toContain(error.code);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("a Solana option is chosen only with a valid payTo, fee payer and known mint, an amount in 1..u64 and a memo of at most 256 bytes", () => {
    const devnet = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1";
    const usdc = SOLANA_ASSETS.find((a) => a.network === devnet)!.address;
    const someAddress = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";
    const addressLike = fc.oneof(
      wildValue,
      fc.constantFrom(usdc, someAddress, "1".repeat(32), "1".repeat(44), "0OIl", "", "0x" + "1".repeat(40), `${someAddress}${someAddress}`),
      fc.uint8Array({ minLength: 0, maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString("base64")),
    );
    const svmLike = fc.record({
      scheme: fc.oneof(fc.constant("exact"), wildValue),
      network: fc.constantFrom(devnet, "solana-devnet", "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp", "solana"),
      amount: fc.oneof(fc.bigInt({ min: -1n, max: 2n ** 65n }).map(String), fc.constantFrom("0", "1", (2n ** 64n - 1n).toString(), (2n ** 64n).toString()), wildValue),
      maxAmountRequired: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 65n }).map(String), wildValue),
      asset: fc.oneof(fc.constant(usdc), addressLike),
      payTo: fc.oneof(fc.constant(someAddress), addressLike),
      maxTimeoutSeconds: fc.oneof(fc.constant(60), wildValue),
      resource: fc.constant("http://hostile.test/"),
      extra: fc.oneof(
        wildValue,
        fc.record(
          { feePayer: fc.oneof(fc.constant(someAddress), addressLike), memo: fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "binary", maxLength: 140 }), wildValue) },
          { requiredKeys: [] },
        ),
      ),
    });
    const svmPolicy = { networks: [devnet], assets: SOLANA_ASSETS, payees: { allow: [], deny: [] } };
    const isAddress = (value: unknown) => typeof value === "string" && decodeBase58(value)?.length === 32;
    fc.assert(
      fc.property(fc.array(svmLike, { minLength: 1, maxLength: 4 }), fc.constantFrom(1, 2), (accepts, version) => {
        const input = version === 2 ? response({ "payment-required": b64({ x402Version: 2, accepts }) }, "") : response({}, JSON.stringify({ x402Version: 1, accepts }));
        try {
          const chosen = selectPaymentOption(parsePaymentRequired(input), svmPolicy, "http://hostile.test/");
          const { option } = chosen;
          expect(option.network).toBe(devnet);
          expect(option.scheme).toBe("exact");
          expect(chosen.asset.address).toBe(usdc);
          expect(option.amount).toBeGreaterThan(0n);
          expect(option.amount).toBeLessThan(2n ** 64n);
          expect(isAddress(option.payTo)).toBe(true);
          expect(isAddress(option.extra.feePayer)).toBe(true);
          const memo = option.extra.memo;
          if (memo !== undefined) expect(new TextEncoder().encode(memo as string).length).toBeLessThanOrEqual(256);
        } catch (error) {
          if (!(error instanceof CodedError)) throw error;
          expect(["INVALID_PAYMENT_REQUIRED", "NO_ACCEPTABLE_PAYMENT_OPTION"]).toContain(error.code);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("a settlement on a Solana network names a base58 signature of 64 bytes, never an EVM hash", () => {
    const signature = fc.uint8Array({ minLength: 60, maxLength: 68 }).map((bytes) => encodeBase58(bytes));
    const settlementLike = fc.record(
      {
        success: fc.oneof(fc.constant(true), wildValue),
        transaction: fc.oneof(signature, fc.constantFrom("", `0x${"ab".repeat(32)}`, "1".repeat(88), "0OIl".repeat(22)), wildValue),
        amount: fc.oneof(fc.constantFrom("0", "10000"), wildValue),
        network: wildValue,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(settlementLike, fc.constantFrom(1 as const, 2 as const), (value, version) => {
        const settlement = parseSettlement(version, () => b64(value), "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1");
        if (settlement.kind !== "settled" || settlement.transaction === null) return;
        expect(settlement.transaction).toBe(value.transaction);
        expect(decodeBase58(settlement.transaction)?.length).toBe(64);
      }),
      { numRuns: 3000 },
    );
  });
});
