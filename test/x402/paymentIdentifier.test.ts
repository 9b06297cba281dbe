import {
  declarePaymentIdentifierExtension,
  isValidPaymentId as officialIsValid,
  validatePaymentIdentifier,
} from "@x402/extensions/payment-identifier";
import { describe, expect, it } from "vitest";
import {
  isValidPaymentId,
  newPaymentId,
  offersPaymentIdentifier,
  PAYMENT_IDENTIFIER,
  paymentIdOf,
  withPaymentId,
} from "../../src/x402/paymentIdentifier.js";

describe("payment-identifier ids", () => {
  it("are pay_ and 32 hex digits, fresh each time, and valid to the official package", () => {
    const ids = Array.from({ length: 200 }, () => newPaymentId());
    for (const id of ids) {
      expect(id).toMatch(/^pay_[0-9a-f]{32}$/);
      expect(isValidPaymentId(id)).toBe(true);
      expect(officialIsValid(id)).toBe(true);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([
    ["15 characters", "a".repeat(15), false],
    ["16 characters", "a".repeat(16), true],
    ["128 characters", "a".repeat(128), true],
    ["129 characters", "a".repeat(129), false],
    ["a space", "pay_0123456789 abcdef", false],
    ["a dot", "pay_0123456789.abcdef", false],
    ["a newline", "pay_0123456789abcdef\n", false],
    ["non-ASCII letters", "pay_0123456789abcdéf", false],
    ["dashes and underscores", "A-b_C-d_E-f_G-h_I", true],
  ])("an id with %s is %s", (_name, id, valid) => {
    expect(isValidPaymentId(id)).toBe(valid);
    expect(officialIsValid(id)).toBe(valid);
  });

  it("refuses what is not a string", () => {
    for (const id of [undefined, null, 1234567890123456, ["pay_0123456789abcdef"], { id: "pay_0123456789abcdef" }]) {
      expect(isValidPaymentId(id)).toBe(false);
    }
  });
});

describe("offersPaymentIdentifier", () => {
  it("reads the official declaration, required or not", () => {
    expect(offersPaymentIdentifier({ [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension() })).toBe(true);
    expect(offersPaymentIdentifier({ [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(true) })).toBe(true);
    expect(offersPaymentIdentifier({ [PAYMENT_IDENTIFIER]: {} })).toBe(true);
  });

  it.each([
    ["no extensions", undefined],
    ["other extensions only", { bazaar: {} }],
    ["a string", { [PAYMENT_IDENTIFIER]: "yes" }],
    ["null", { [PAYMENT_IDENTIFIER]: null }],
    ["an array", { [PAYMENT_IDENTIFIER]: [{ info: {} }] }],
    ["an info that is a string", { [PAYMENT_IDENTIFIER]: { info: "required" } }],
    ["an info that is an array", { [PAYMENT_IDENTIFIER]: { info: [] } }],
  ])("is false for %s", (_name, extensions) => {
    expect(offersPaymentIdentifier(extensions as Record<string, unknown> | undefined)).toBe(false);
  });
});

describe("withPaymentId", () => {
  it("echoes the declaration with the id added, valid to the official validator, the other extensions untouched", () => {
    const declared = declarePaymentIdentifierExtension(true);
    const other = { info: { x: 1 } };
    const id = newPaymentId();
    const extensions = withPaymentId({ [PAYMENT_IDENTIFIER]: declared, other }, id);
    expect(extensions.other).toBe(other);
    expect(extensions[PAYMENT_IDENTIFIER]).toEqual({ ...declared, info: { required: true, id } });
    expect(validatePaymentIdentifier(extensions[PAYMENT_IDENTIFIER])).toEqual({ valid: true });
    // The server's declaration itself is not changed (a known price keeps it for the next call).
    expect(declared.info).toEqual({ required: true });
    expect(paymentIdOf({ x402Version: 2, extensions })).toBe(id);
  });

  it("adds required: false where the server left it out, as the schema requires it", () => {
    const extensions = withPaymentId({ [PAYMENT_IDENTIFIER]: {} }, "pay_0123456789abcdef");
    expect(extensions[PAYMENT_IDENTIFIER]).toEqual({ info: { required: false, id: "pay_0123456789abcdef" } });
  });

  it("throws on an invalid id or extensions that do not offer it (a caller's mistake, never sent)", () => {
    expect(() => withPaymentId({ [PAYMENT_IDENTIFIER]: {} }, "short")).toThrow(/not 16-128/);
    expect(() => withPaymentId({}, "pay_0123456789abcdef")).toThrow(/does not offer/);
    expect(() => withPaymentId(undefined, "pay_0123456789abcdef")).toThrow(/does not offer/);
  });
});

describe("paymentIdOf", () => {
  it.each([
    ["no extensions", { x402Version: 2 }],
    ["extensions that are an array", { extensions: [] }],
    ["a declaration without an id", { extensions: { [PAYMENT_IDENTIFIER]: { info: { required: false } } } }],
    ["an invalid id", { extensions: { [PAYMENT_IDENTIFIER]: { info: { id: "pay_!" } } } }],
    ["an id that is a number", { extensions: { [PAYMENT_IDENTIFIER]: { info: { id: 12345678901234567 } } } }],
  ])("is undefined for %s", (_name, payload) => {
    expect(paymentIdOf(payload as Record<string, unknown>)).toBeUndefined();
  });
});
