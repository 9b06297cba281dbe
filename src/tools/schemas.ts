import { z } from "zod";
import { clientOwnedHeader, refusedHeaderMessage } from "../http/requestHeaders.js";
import { SIGN_IN_WITH_X_HEADER } from "../x402/extensions/siwx/parseChallenge.js";
import { PAYMENT_SIGNATURE_HEADER, X_PAYMENT_HEADER } from "../x402/headers.js";

/** Output shapes shared by tools. Field names are a public contract. */

export const UsdString = z.string().describe('USD amount as a decimal string ("unknown" when the budget store did not answer just after a paid call)');

export const BudgetOutput = z.object({
  perCall: UsdString.describe("Most a single call may pay, in USD"),
  session: z.object({ spent: UsdString, limit: UsdString, remaining: UsdString }),
  day: z
    .object({ spent: UsdString, limit: UsdString, remaining: UsdString })
    .describe("The rolling 24 h budget shared by every server on this ledger"),
});
export type BudgetOutput = z.infer<typeof BudgetOutput>;

const NO_CRLF = /^[^\r\n]*$/;
const MAX_HEADERS = 64;
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PAYMENT_HEADERS = new Set([PAYMENT_SIGNATURE_HEADER.toLowerCase(), X_PAYMENT_HEADER.toLowerCase()]);

/** Why the agent may not set this header, or undefined: the client's own, and the payment the wallet signs. */
function refusedHeader(name: string): string | undefined {
  if (PAYMENT_HEADERS.has(name.toLowerCase())) {
    return "the wallet adds the payment itself, once the price has passed the owner's caps. Remove it and let paid_fetch pay";
  }
  if (name.toLowerCase() === SIGN_IN_WITH_X_HEADER.toLowerCase()) {
    return "the wallet signs in itself, with the key the owner configured, when a server offers it. Remove it";
  }
  return clientOwnedHeader(name);
}

/** The HTTP request a tool makes, as the model describes it. */
export const RequestInput = {
  url: z
    .url({ protocol: /^https?$/, error: "url must be an absolute http:// or https:// URL" })
    .max(8192)
    .refine((url) => {
      const parsed = new URL(url);
      return parsed.username === "" && parsed.password === "";
    }, "url must not contain credentials (user:password@host); send them in headers instead")
    .describe("The http(s) URL to fetch."),
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]).default("GET").describe("HTTP method; GET by default."),
  headers: z
    .record(z.string().max(256), z.string().max(8192).regex(NO_CRLF, "header values must not contain CR or LF"))
    // A refine rather than a key schema: zod reports a bad record key only as "Invalid key in record".
    .refine((headers) => Object.keys(headers).every((name) => HTTP_TOKEN.test(name)), "header names must be HTTP tokens (no spaces, CR or LF)")
    // Each header is re-sent on every hop and the paid retry: bounded like the body is.
    .refine((headers) => Object.keys(headers).length <= MAX_HEADERS, `at most ${MAX_HEADERS} headers; send only the ones the request needs`)
    .refine(
      (headers) => new Set(Object.keys(headers).map((name) => name.toLowerCase())).size === Object.keys(headers).length,
      "each header name once: header names are case-insensitive, so two spellings of one name would send it twice",
    )
    .superRefine((headers, ctx) => {
      for (const name of Object.keys(headers)) {
        const reason = refusedHeader(name);
        if (reason) ctx.addIssue({ code: "custom", message: refusedHeaderMessage(name, reason), path: [name] });
      }
    })
    .optional()
    .describe(
      'Request headers, e.g. {"content-type": "application/json"}. Host, Content-Length, Transfer-Encoding, Connection and the other hop-by-hop headers, and payment headers, are the wallet\'s own and refused.',
    ),
  body: z.string().max(1024 * 1024, "body must be at most 1 MiB (1048576 characters)").optional().describe("Request body, sent as given (set content-type in headers for JSON)."),
};
