import { CodedError, ErrorCode } from "../errors.js";

/** `api.example.com` matches itself; `*.example.com` matches any subdomain, not the apex. */
export function hostMatches(pattern: string, hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  const p = pattern.toLowerCase().replace(/^\[|\]$/g, "");
  if (p.startsWith("*.")) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
  return host === p;
}

export interface HostRules {
  allow: readonly string[];
  deny: readonly string[];
}

/** Refuses a URL whose host is denied, or not allowed when an allow list exists. Deny wins. */
export function assertHostAllowed(url: URL, rules: HostRules): void {
  const host = url.hostname;
  const denied = rules.deny.find((p) => hostMatches(p, host));
  if (denied) {
    throw new CodedError(
      ErrorCode.HOST_NOT_ALLOWED,
      `${host} is denied by hosts.deny ("${denied}") in the config; nothing was requested. Only the wallet's owner can change this.`,
      { host, pattern: denied },
    );
  }
  if (rules.allow.length > 0 && !rules.allow.some((p) => hostMatches(p, host))) {
    throw new CodedError(
      ErrorCode.HOST_NOT_ALLOWED,
      `${host} is not in hosts.allow (${rules.allow.join(", ")}) in the config; nothing was requested. Only the wallet's owner can add it.`,
      { host },
    );
  }
}
