import { z } from "zod";
import type { PaymentRequired } from "../../types.js";

/** The extension's key in a v2 402's `extensions`, and the request header that answers it. */
export const SIGN_IN_WITH_X = "sign-in-with-x";
export const SIGN_IN_WITH_X_HEADER = "SIGN-IN-WITH-X";

const SignInInfoWire = z.object({
  domain: z.string(),
  uri: z.string(),
  version: z.string(),
  nonce: z.string(),
  issuedAt: z.string(),
  statement: z.string().optional(),
  expirationTime: z.string().optional(),
  notBefore: z.string().optional(),
  requestId: z.string().optional(),
  resources: z.array(z.string()).optional(),
});

const SignInExtensionWire = z.object({
  info: SignInInfoWire,
  supportedChains: z.array(z.object({ chainId: z.string(), type: z.string() })).min(1),
});

/** What the server asks the wallet to sign (CAIP-122 fields), as it wrote them. */
export type SignInInfo = z.infer<typeof SignInInfoWire>;

/** A server's sign-in-with-x challenge: the message fields, and the chains it verifies in its order of preference. */
export type SignInChallenge = z.infer<typeof SignInExtensionWire>;

export type ParsedChallenge =
  | { kind: "absent" }
  | { kind: "malformed"; reason: string }
  | { kind: "offered"; challenge: SignInChallenge };

/** Reads `extensions["sign-in-with-x"]` of a v2 402 (v1 has no extensions). */
export function parseChallenge(required: PaymentRequired): ParsedChallenge {
  const raw = required.extensions?.[SIGN_IN_WITH_X];
  if (raw === undefined) return { kind: "absent" };
  const parsed = SignInExtensionWire.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: "malformed", reason: `its ${issue?.path.join(".") || "value"} is not as the extension defines it (${issue?.message ?? "invalid"})` };
  }
  return { kind: "offered", challenge: parsed.data };
}
