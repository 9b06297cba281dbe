import { randomUUID } from "node:crypto";

/**
 * The `payment-identifier` extension (x402 specs/extensions/payment_identifier.md): the
 * client's idempotency key for one payment. A server that offers it answers the same
 * payment header, sent again with the same id, with the answer it gave the first time,
 * instead of taking the payment again; that is what makes resending a lost paid request safe.
 */
export const PAYMENT_IDENTIFIER = "payment-identifier";

const PAYMENT_ID = /^[A-Za-z0-9_-]{16,128}$/;

/** A fresh id: `pay_` and a random UUID without its dashes (36 characters), as the spec recommends. */
export function newPaymentId(): string {
  return `pay_${randomUUID().replace(/-/g, "")}`;
}

/** 16 to 128 letters, digits, `-` or `_`. */
export function isValidPaymentId(id: unknown): id is string {
  return typeof id === "string" && PAYMENT_ID.test(id);
}

/**
 * Whether the 402's extensions offer payment-identifier: a declaration object whose `info`,
 * when present, is an object. Anything else is not an offer this wallet can answer, and the
 * payment goes without an id (and so is never resent).
 */
export function offersPaymentIdentifier(extensions: Record<string, unknown> | undefined): boolean {
  const declared = extensions?.[PAYMENT_IDENTIFIER];
  if (!isRecord(declared)) return false;
  return declared.info === undefined || isRecord(declared.info);
}

/**
 * The payment payload's extensions with the server's declaration echoed and `id` added to its
 * `info`, as the spec's PaymentPayload shows; the other extensions stay as they were. Throws
 * on an id that is not valid or a payload that does not offer the extension: a caller bug.
 */
export function withPaymentId(extensions: Record<string, unknown> | undefined, id: string): Record<string, unknown> {
  if (!isValidPaymentId(id)) throw new Error(`payment-identifier id ${JSON.stringify(id)} is not 16-128 letters, digits, - or _`);
  if (!extensions || !offersPaymentIdentifier(extensions)) throw new Error("the 402 does not offer payment-identifier");
  const declared = extensions[PAYMENT_IDENTIFIER] as Record<string, unknown>;
  const info = (declared.info as Record<string, unknown> | undefined) ?? {};
  return { ...extensions, [PAYMENT_IDENTIFIER]: { ...declared, info: { ...info, required: info.required === true, id } } };
}

/** The id a payment payload carries in its payment-identifier extension, when it carries a valid one. */
export function paymentIdOf(payload: Record<string, unknown>): string | undefined {
  const extensions = payload.extensions;
  if (!isRecord(extensions)) return undefined;
  const declared = extensions[PAYMENT_IDENTIFIER];
  const id = isRecord(declared) && isRecord(declared.info) ? declared.info.id : undefined;
  return isValidPaymentId(id) ? id : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
