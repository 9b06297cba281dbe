import { isIP } from "node:net";
import type { Agent } from "undici";
import { CodedError, ErrorCode, isCodedError } from "../errors.js";
import { isPrivateAddress } from "../policy/privateAddress.js";
import { guardedLookup, privateAddressError } from "./guardedLookup.js";
import { assertCallerHeaders } from "./requestHeaders.js";
import type { HttpRequest, HttpResponse } from "./types.js";

export interface HttpClientOptions {
  timeoutMs: number;
  maxBodyBytes: number;
  allowPrivate: boolean;
  userAgent: string;
  /** Policy run on every URL before it is requested, redirects included; throws to refuse. */
  assertUrlAllowed: (url: URL) => void;
  /**
   * Run on every socket once connected, before a byte is sent: true refuses it. It sees the
   * address actually reached, so no name, alias or rebinding gets past it.
   */
  refusePeer?: (address: string, port: number) => boolean;
}

export interface SendOptions {
  /** Follow redirects (the unpaid probe); a paid request never follows one. */
  followRedirects: boolean;
  signal?: AbortSignal | undefined;
}

export interface HttpClient {
  send(request: HttpRequest, options: SendOptions): Promise<HttpResponse>;
  close(): Promise<void>;
}

const MAX_REDIRECTS = 5;

type Undici = typeof import("undici");
let undiciModule: Promise<Undici> | undefined;
/** undici is loaded on the first request, not at start-up: it is a hundred-odd modules an idle server never needs. */
function loadUndici(): Promise<Undici> {
  return (undiciModule ??= import("undici"));
}

/** One HTTP client per server: keep-alive connections reused across calls. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  let dispatcher: Agent | undefined;
  let undici: Undici | undefined;

  async function sendOnce(request: HttpRequest, signal: AbortSignal): Promise<HttpResponse> {
    const url = new URL(request.url);
    options.assertUrlAllowed(url);
    if (!options.allowPrivate) refuseLiteralPrivateHost(url);
    undici ??= await loadUndici();
    dispatcher ??= new undici.Agent({
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: peerCheckedConnector(undici, options),
    });
    const headers = { "user-agent": options.userAgent, ...request.headers };
    const response = await undici.request(url, {
      method: request.method,
      headers,
      body: request.body,
      dispatcher,
      signal,
    });
    const body = await readLimited(response.body, options.maxBodyBytes, request.url);
    const flat: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
    return {
      url: request.url,
      request,
      status: response.statusCode,
      headers: flat,
      body,
      header: (name) => flat[name.toLowerCase()],
    };
  }

  return {
    async send(request, { followRedirects, signal }) {
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      try {
        // Tool input is validated already; this keeps any other caller's Host or framing off the wire too.
        assertCallerHeaders(request.headers);
        let current = request;
        for (let hop = 0; ; hop++) {
          const response = await sendOnce(current, combined);
          const location = response.header("location");
          if (!followRedirects || !location || !isRedirect(response.status)) return response;
          if (hop >= MAX_REDIRECTS) {
            throw new CodedError(ErrorCode.HTTP_ERROR, `${request.url} redirected more than ${MAX_REDIRECTS} times; giving up.`);
          }
          current = redirectRequest(current, response.status, new URL(location, current.url));
        }
      } catch (error) {
        throw toHttpError(error, request.url, options.timeoutMs, timeout.aborted, undici?.errors);
      }
    },
    close: async () => {
      await dispatcher?.close();
    },
  };
}

function peerCheckedConnector(undici: Undici, options: HttpClientOptions): import("undici").buildConnector.connector {
  const connect = undici.buildConnector({ timeout: options.timeoutMs, ...(options.allowPrivate ? {} : { lookup: guardedLookup }) });
  const refusePeer = options.refusePeer;
  if (!refusePeer) return connect;
  return (target, callback) =>
    connect(target, (...args) => {
      const [error, socket] = args;
      if (error || !socket || !refusePeer(socket.remoteAddress ?? "", socket.remotePort ?? 0)) return callback(...args);
      socket.destroy();
      callback(
        new CodedError(
          ErrorCode.HOST_NOT_ALLOWED,
          `${target.hostname}:${target.port} is the wallet's own approval page; nothing was requested. Only the person approves, in a browser: show them the approval link instead of opening it.`,
          { host: target.hostname, port: target.port },
        ),
        null,
      );
    });
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function redirectRequest(previous: HttpRequest, status: number, target: URL): HttpRequest {
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    throw new CodedError(ErrorCode.HTTP_ERROR, `${previous.url} redirected to a non-HTTP URL (${target.protocol}); not followed.`);
  }
  const sameOrigin = target.origin === new URL(previous.url).origin;
  const keepsBody = status === 307 || status === 308;
  // Credentials the agent meant for one origin must not follow a redirect to another. Fetch
  // strips only Authorization and Cookie, but an API key travels in any header (x-api-key,
  // x-goog-api-key, a vendor's own), so another origin gets only headers known to carry
  // none. The headers that describe a body go with the body (Fetch's redirect rules).
  const headers = Object.fromEntries(
    Object.entries(previous.headers).filter(
      ([name]) => (sameOrigin || CROSS_ORIGIN_SAFE.test(name)) && (keepsBody || !BODY_HEADERS.test(name)),
    ),
  );
  return {
    url: target.href,
    method: keepsBody ? previous.method : "GET",
    headers,
    body: keepsBody ? previous.body : undefined,
  };
}

const CROSS_ORIGIN_SAFE = /^(accept|accept-language|user-agent|cache-control|pragma|content-(type|encoding|language))$/i;
const BODY_HEADERS = /^content-(type|encoding|language|location)$/i;

/** An IP literal never goes through DNS, so the connect-time lookup guard would not see it. */
function refuseLiteralPrivateHost(url: URL): void {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host) && isPrivateAddress(host)) throw privateAddressError(url.hostname, host);
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): unknown }, limit: number, url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      throw new CodedError(
        ErrorCode.HTTP_ERROR,
        `The response from ${url} is larger than http.maxBodyBytes (${limit} bytes); it was not read to the end. Raise http.maxBodyBytes in the config if you expect large responses.`,
        { limit },
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function toHttpError(error: unknown, url: string, timeoutMs: number, timedOut: boolean, undiciErrors: Undici["errors"] | undefined): CodedError {
  if (isCodedError(error)) return error;
  const cause = (error as { cause?: unknown }).cause;
  if (isCodedError(cause)) return cause;
  if (
    timedOut ||
    (undiciErrors &&
      (error instanceof undiciErrors.HeadersTimeoutError ||
        error instanceof undiciErrors.BodyTimeoutError ||
        error instanceof undiciErrors.ConnectTimeoutError))
  ) {
    return new CodedError(
      ErrorCode.HTTP_ERROR,
      `${url} did not answer within http.timeoutMs (${timeoutMs} ms). Try again later, or raise http.timeoutMs in the config.`,
      { url, reason: "timeout" },
    );
  }
  if (undiciErrors && error instanceof undiciErrors.HeadersOverflowError) {
    return new CodedError(ErrorCode.HTTP_ERROR, `${url} sent response headers larger than this client accepts; not read. The server is misbehaving.`, {
      url,
      reason: "headers-overflow",
    });
  }
  if ((error as Error).name === "AbortError") {
    return new CodedError(ErrorCode.HTTP_ERROR, `The request to ${url} was cancelled.`, { url, reason: "aborted" });
  }
  const code = (error as NodeJS.ErrnoException).code ?? (cause as NodeJS.ErrnoException | undefined)?.code;
  return new CodedError(
    ErrorCode.HTTP_ERROR,
    `Could not fetch ${url}: ${code ? `${code}, ` : ""}${(error as Error).message}. Check the URL and that the server is up.`,
    { url, reason: code ?? "network" },
  );
}
