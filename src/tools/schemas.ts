import { z } from "zod";

/** Output shapes shared by tools. Field names are a public contract. */

export const UsdString = z.string().describe("USD amount as a decimal string");

export const BudgetOutput = z.object({
  perCall: UsdString.describe("Most a single call may pay, in USD"),
  session: z.object({ spent: UsdString, limit: UsdString, remaining: UsdString }),
  day: z
    .object({ spent: UsdString, limit: UsdString, remaining: UsdString })
    .describe("The rolling 24 h budget shared by every server on this ledger"),
});
export type BudgetOutput = z.infer<typeof BudgetOutput>;

const NO_CRLF = /^[^\r\n]*$/;
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

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
    .optional()
    .describe('Request headers, e.g. {"content-type": "application/json"}.'),
  body: z.string().max(1024 * 1024, "body must be at most 1 MiB (1048576 characters)").optional().describe("Request body, sent as given (set content-type in headers for JSON)."),
};
