import type { SignInInfo } from "./parseChallenge.js";

/** How old a challenge may be when signed, as servers accept it (the extension's default). */
export const MAX_CHALLENGE_AGE_MS = 5 * 60_000;

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: any of them could
// start a line of its own in the signed text and make it say what the server wrote there.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Why this challenge must not be signed for a request to `requestUrl`, or null when it may
 * be: it must name this very site (domain = the request's host, uri on the request's origin),
 * be issued in the last five minutes and not in the future, not have expired nor start
 * later, and hold no control character in any field, since one newline in a statement can
 * forge the lines that follow it in the message.
 */
export function challengeRefusal(info: SignInInfo, requestUrl: string, nowMs: number): string | null {
  for (const [field, value] of fields(info)) {
    if (CONTROL.test(value)) return `its ${field} holds a newline or another control character`;
  }
  const request = new URL(requestUrl);
  if (info.domain !== request.host) return `its domain ${JSON.stringify(info.domain)} is not the request's host ${JSON.stringify(request.host)}`;
  let uri: URL;
  try {
    uri = new URL(info.uri);
  } catch {
    return `its uri ${JSON.stringify(info.uri)} is not a URL`;
  }
  if (uri.origin !== request.origin) return `its uri is on ${uri.origin}, not on the request's origin ${request.origin}`;
  const issuedAt = timestamp(info.issuedAt);
  if (issuedAt === undefined) return `its issuedAt ${JSON.stringify(info.issuedAt)} is not a date`;
  if (issuedAt > nowMs) return `its issuedAt ${info.issuedAt} is in the future`;
  if (nowMs - issuedAt > MAX_CHALLENGE_AGE_MS) return `its issuedAt ${info.issuedAt} is more than 5 minutes old`;
  if (info.expirationTime !== undefined) {
    const expires = timestamp(info.expirationTime);
    if (expires === undefined) return `its expirationTime ${JSON.stringify(info.expirationTime)} is not a date`;
    if (expires <= nowMs) return `it expired at ${info.expirationTime}`;
  }
  if (info.notBefore !== undefined) {
    const notBefore = timestamp(info.notBefore);
    if (notBefore === undefined) return `its notBefore ${JSON.stringify(info.notBefore)} is not a date`;
    if (notBefore > nowMs) return `it is not valid before ${info.notBefore}`;
  }
  return null;
}

function fields(info: SignInInfo): [string, string][] {
  const { resources, ...single } = info;
  const named = Object.entries(single).filter((e): e is [string, string] => typeof e[1] === "string");
  return [...named, ...(resources ?? []).map((r, i): [string, string] => [`resources[${i}]`, r])];
}

function timestamp(text: string): number | undefined {
  // An ISO 8601 date-time, as the extension's schema says; Date.parse alone takes far more.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
