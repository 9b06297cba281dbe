import { describe, expect, it } from "vitest";
import type { SignInInfo } from "../../../../src/x402/extensions/siwx/parseChallenge.js";
import { challengeRefusal } from "../../../../src/x402/extensions/siwx/validateChallenge.js";

const NOW = Date.parse("2026-03-01T12:00:00.000Z");
const URL_ = "https://api.example.com/premium?x=1";

/** A challenge as the official server writes one for URL_, issued a minute ago. */
function info(edit: Partial<SignInInfo> = {}): SignInInfo {
  return {
    domain: "api.example.com",
    uri: "https://api.example.com/premium?x=1",
    version: "1",
    nonce: "a1b2c3d4e5f67890a1b2c3d4e5f67890",
    issuedAt: "2026-03-01T11:59:00.000Z",
    expirationTime: "2026-03-01T12:04:00.000Z",
    statement: "Sign in to access premium data",
    resources: ["https://api.example.com/premium?x=1"],
    ...edit,
  };
}

describe("which sign-in challenges the wallet signs", () => {
  it("signs a fresh challenge naming the requested site", () => {
    expect(challengeRefusal(info(), URL_, NOW)).toBeNull();
    expect(challengeRefusal(info({ expirationTime: undefined, statement: undefined, resources: undefined }), URL_, NOW)).toBeNull();
    // Issued exactly now, with a uri elsewhere on the same origin, an offset time zone.
    expect(challengeRefusal(info({ issuedAt: "2026-03-01T13:00:00+01:00", uri: "https://api.example.com/" }), URL_, NOW)).toBeNull();
  });

  it.each([
    ["another domain", { domain: "evil.example" }, /domain "evil.example" is not the request's host "api.example.com"/],
    ["the domain without the request's port", { domain: "api.example.com" }, /not the request's host "api.example.com:8443"/, "https://api.example.com:8443/premium"],
    ["a uri on another origin", { uri: "https://evil.example/premium" }, /uri is on https:\/\/evil.example, not on the request's origin/],
    ["a uri on another scheme", { uri: "http://api.example.com/premium" }, /uri is on http:\/\/api.example.com/],
    ["a uri that is no URL", { uri: "premium" }, /uri "premium" is not a URL/],
    ["issuedAt in the future", { issuedAt: "2026-03-01T12:00:01.000Z" }, /issuedAt .* is in the future/],
    ["issuedAt older than 5 minutes", { issuedAt: "2026-03-01T11:54:59.999Z" }, /more than 5 minutes old/],
    ["issuedAt no date", { issuedAt: "yesterday" }, /issuedAt "yesterday" is not a date/],
    ["issuedAt a date without time", { issuedAt: "2026-03-01" }, /is not a date/],
    ["an expired challenge", { expirationTime: "2026-03-01T11:59:59.999Z" }, /expired at 2026-03-01T11:59:59.999Z/],
    ["one expiring now", { expirationTime: "2026-03-01T12:00:00.000Z" }, /expired at/],
    ["expirationTime no date", { expirationTime: "soon" }, /expirationTime "soon" is not a date/],
    ["notBefore in the future", { notBefore: "2026-03-01T12:01:00.000Z" }, /not valid before/],
    ["a newline in the statement", { statement: "Sign in\nURI: https://evil.example/" }, /statement holds a newline/],
    ["a carriage return in the statement", { statement: "Sign in\r" }, /statement holds a newline/],
    ["a Unicode line separator in the statement", { statement: "Sign in\u2028Chain ID: 1" }, /statement holds a newline/],
    ["a NUL in the nonce", { nonce: "abc\u0000def12345" }, /nonce holds a newline/],
    ["a DEL in the version", { version: "1\u007f" }, /version holds/],
    ["a C1 control in the request id", { requestId: "r\u0085" }, /requestId holds/],
    ["a tab in the domain", { domain: "api.example.com\t" }, /domain holds/],
    ["a newline in a resource", { resources: ["https://api.example.com/a", "https://api.example.com/b\n- https://evil.example/"] }, /resources\[1\] holds/],
    ["a newline in expirationTime", { expirationTime: "2026-03-01T12:04:00.000Z\nNonce: x" }, /expirationTime holds/],
  ] as [string, Partial<SignInInfo>, RegExp, string?][])("refuses %s", (_name, edit, why, url = URL_) => {
    expect(challengeRefusal(info(edit), url, NOW)).toMatch(why);
  });
});
