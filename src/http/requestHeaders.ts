import { CodedError, ErrorCode } from "../errors.js";

/**
 * Request headers the client owns, with why a caller may not set them. `Host` is what the
 * server (and, over TLS, the SNI) routes by, while the host policy checks the URL: a caller's
 * Host would reach a host the policy never saw. The framing headers (RFC 9112 §6) and the
 * hop-by-hop ones (RFC 9110 §7.6.1: Connection and the fields it names, Keep-Alive,
 * Proxy-Connection, TE, Trailer, Upgrade, plus HTTP2-Settings of an h2c upgrade) describe
 * this client's connection, not the request; `Expect` changes when the body is sent.
 * Proxy-Authorization is meant for a proxy this client never uses, so it would reach the
 * origin as is.
 */
const CLIENT_OWNED: ReadonlyMap<string, string> = new Map([
  ["host", "it is set by the client from the url, which the host policy checks. Put the host you mean in the url instead"],
  ["content-length", "the client frames the body itself. Send the body without it"],
  ["transfer-encoding", "the client frames the body itself. Send the body without it"],
  ["connection", "it is hop-by-hop: the client manages its own connections. Remove it"],
  ["keep-alive", "it is hop-by-hop: the client manages its own connections. Remove it"],
  ["proxy-connection", "it is hop-by-hop: the client manages its own connections. Remove it"],
  ["upgrade", "it is hop-by-hop: the client does not switch protocols. Remove it"],
  ["http2-settings", "it is hop-by-hop: the client does not switch protocols. Remove it"],
  ["te", "it is hop-by-hop: the client decides what transfer codings it accepts. Remove it"],
  ["trailer", "it is hop-by-hop: the client sends no trailers. Remove it"],
  ["expect", "the client sends the body with the request, without waiting for 100-continue. Remove it"],
  ["proxy-authorization", "no proxy is used, so it would go to the server itself. Remove it"],
]);

/** Why the client refuses a caller's header of this name, or undefined when it is accepted. */
export function clientOwnedHeader(name: string): string | undefined {
  return CLIENT_OWNED.get(name.toLowerCase());
}

/** The message naming a refused header, shared by tool input validation and the client. */
export function refusedHeaderMessage(name: string, reason: string): string {
  return `header "${name.toLowerCase()}" is not accepted: ${reason}.`;
}

/** Throws INVALID_INPUT for the first header the client owns; the client's own last line of defence. */
export function assertCallerHeaders(headers: Record<string, string>): void {
  for (const name of Object.keys(headers)) {
    const reason = clientOwnedHeader(name);
    if (reason) throw new CodedError(ErrorCode.INVALID_INPUT, refusedHeaderMessage(name, reason), { header: name.toLowerCase() });
  }
}
