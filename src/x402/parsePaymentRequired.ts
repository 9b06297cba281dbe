import type { z } from "zod";
import { toCaip2 } from "../chains/index.js";
import { CodedError, ErrorCode } from "../errors.js";
import { decodeJsonHeader, PAYMENT_REQUIRED_HEADER } from "./headers.js";
import {
  PaymentRequiredV1Wire,
  PaymentRequiredV2Wire,
  PaymentRequirementsV1Wire,
  PaymentRequirementsV2Wire,
} from "./schemas.js";
import type { PaymentOption, PaymentRequired } from "./types.js";

export interface ResponseFor402 {
  url: string;
  header(name: string): string | undefined;
  bodyText: string;
}

/**
 * Reads the price out of a 402: v2 from the `PAYMENT-REQUIRED` header, v1 from the JSON
 * body's `accepts` (a v2 body without the header is read too). Throws
 * INVALID_PAYMENT_REQUIRED when neither holds usable requirements.
 */
export function parsePaymentRequired(response: ResponseFor402): PaymentRequired {
  const header = response.header(PAYMENT_REQUIRED_HEADER);
  if (header !== undefined) {
    let decoded: unknown;
    try {
      decoded = decodeJsonHeader(header);
    } catch (error) {
      throw invalid(response.url, `its PAYMENT-REQUIRED header is unreadable: ${(error as Error).message}`);
    }
    return fromV2(response.url, decoded, "PAYMENT-REQUIRED header");
  }
  const body = parseJsonBody(response.bodyText);
  const version = typeof body === "object" && body !== null ? (body as { x402Version?: unknown }).x402Version : undefined;
  if (version === 1) return fromV1(response.url, body);
  if (version === 2) return fromV2(response.url, body, "body");
  throw invalid(
    response.url,
    "it has no PAYMENT-REQUIRED header and its body is not an x402 payment request (no x402Version 1 or 2 with accepts)",
  );
}

function fromV2(url: string, value: unknown, where: string): PaymentRequired {
  const parsed = PaymentRequiredV2Wire.safeParse(value);
  if (!parsed.success) throw invalid(url, `its ${where} is not an x402 v2 PaymentRequired: ${summarize(parsed.error)}`);
  const required = parsed.data;
  const result = collectOptions(url, required.accepts, (wire, raw): PaymentOption => {
    const r = PaymentRequirementsV2Wire.parse(raw);
    return {
      x402Version: 2,
      scheme: r.scheme,
      network: toCaip2(r.network),
      wireNetwork: r.network,
      amount: r.amount,
      asset: r.asset,
      payTo: r.payTo,
      maxTimeoutSeconds: r.maxTimeoutSeconds,
      extra: r.extra ?? {},
      resource: required.resource?.url,
      description: required.resource?.description,
      wire,
    };
  });
  return {
    x402Version: 2,
    error: required.error,
    resource: required.resource,
    extensions: required.extensions,
    ...result,
  };
}

function fromV1(url: string, value: unknown): PaymentRequired {
  const parsed = PaymentRequiredV1Wire.safeParse(value);
  if (!parsed.success) throw invalid(url, `its body is not an x402 v1 payment request: ${summarize(parsed.error)}`);
  const required = parsed.data;
  const result = collectOptions(url, required.accepts, (wire, raw): PaymentOption => {
    const r = PaymentRequirementsV1Wire.parse(raw);
    return {
      x402Version: 1,
      scheme: r.scheme,
      network: toCaip2(r.network),
      wireNetwork: r.network,
      amount: r.maxAmountRequired,
      asset: r.asset,
      payTo: r.payTo,
      maxTimeoutSeconds: r.maxTimeoutSeconds,
      extra: r.extra ?? {},
      resource: r.resource,
      description: r.description,
      wire,
    };
  });
  const first = result.options[0];
  return {
    x402Version: 1,
    error: required.error,
    resource: first?.resource ? { url: first.resource, description: first.description } : undefined,
    extensions: undefined,
    ...result,
  };
}

function collectOptions(
  url: string,
  accepts: unknown[],
  toOption: (wire: Record<string, unknown>, raw: unknown) => PaymentOption,
): Pick<PaymentRequired, "options" | "malformed"> {
  const options: PaymentOption[] = [];
  const malformed: PaymentRequired["malformed"] = [];
  accepts.forEach((raw, index) => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      malformed.push({ index, reason: "not an object" });
      return;
    }
    try {
      options.push(toOption(raw as Record<string, unknown>, raw));
    } catch (error) {
      malformed.push({ index, reason: summarize(error as z.ZodError) });
    }
  });
  if (options.length === 0) {
    const why = malformed.length
      ? `none of its ${malformed.length} payment option(s) is well-formed (${malformed
          .slice(0, 3)
          .map((m) => `#${m.index}: ${m.reason}`)
          .join("; ")})`
      : "it offers no payment option (accepts is empty)";
    throw invalid(url, why);
  }
  return { options, malformed };
}

function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function summarize(error: z.ZodError | Error): string {
  if ("issues" in error && Array.isArray(error.issues)) {
    return error.issues
      .slice(0, 3)
      .map((i) => `${i.path.length ? i.path.join(".") : "value"} ${i.message}`)
      .join("; ");
  }
  return error.message;
}

function invalid(url: string, why: string): CodedError {
  return new CodedError(
    ErrorCode.INVALID_PAYMENT_REQUIRED,
    `${url} answered 402 Payment Required, but ${why}. Nothing was paid. The server's x402 setup looks broken; try another endpoint or tell its operator.`,
    { url },
  );
}
