/** Header names of the two protocol versions. Lookups are case-insensitive (HTTP). */
export const PAYMENT_REQUIRED_HEADER = "payment-required";
export const PAYMENT_SIGNATURE_HEADER = "PAYMENT-SIGNATURE";
export const PAYMENT_RESPONSE_HEADER = "payment-response";
export const X_PAYMENT_HEADER = "X-PAYMENT";
export const X_PAYMENT_RESPONSE_HEADER = "x-payment-response";

/** The request header that carries a payment for the given protocol version. */
export function paymentHeaderName(x402Version: 1 | 2): string {
  return x402Version === 2 ? PAYMENT_SIGNATURE_HEADER : X_PAYMENT_HEADER;
}

/** x402 headers are base64 of UTF-8 JSON, in both versions. */
export function encodeJsonHeader(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64");
}

/** Decodes a base64 JSON header; throws a plain Error saying which step failed. */
export function decodeJsonHeader(value: string): unknown {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(trimmed)) throw new Error("it is not base64");
  const text = Buffer.from(trimmed, "base64").toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw new Error("its base64 content is not JSON");
  }
}
