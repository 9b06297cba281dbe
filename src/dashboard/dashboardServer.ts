import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { digest, listen, send } from "./loopbackHttp.js";
import type { DashboardState } from "./dashboardState.js";

export interface DashboardPage {
  html: string;
  scriptHash: string;
  styleHash: string;
}

export interface DashboardServer {
  /** `http://127.0.0.1:P/?token=…`: the only way in. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface DashboardServerParameters {
  port: number;
  page: DashboardPage;
  state: () => Promise<DashboardState>;
}

/**
 * The dashboard's HTTP server: 127.0.0.1 only, read-only (GET), every request needs the token
 * the URL carries. The page may talk to its own origin and nothing else (its CSP), and a
 * request whose Host is not this loopback address is refused, so a web page that rebinds
 * its DNS name to 127.0.0.1 cannot read the wallet's history.
 */
export async function startDashboardServer({ port, page, state }: DashboardServerParameters): Promise<DashboardServer> {
  const token = randomBytes(32).toString("base64url");
  const tokenDigest = digest(token);
  const csp = [
    "default-src 'none'",
    `script-src ${page.scriptHash}`,
    `style-src ${page.styleHash}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  let origin = "";

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader("cache-control", "no-store");
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("referrer-policy", "no-referrer");
    const url = new URL(req.url ?? "/", origin);
    if (req.headers.host !== new URL(origin).host) return send(res, 421, "text/plain", "Misdirected request: open the dashboard at the URL it printed.\n");
    if (!timingSafeEqual(digest(url.searchParams.get("token") ?? ""), tokenDigest)) {
      return send(res, 401, "text/plain", "Unauthorized: open the dashboard at the URL it printed (it carries the token).\n");
    }
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "The dashboard is read-only.\n", { allow: "GET, HEAD" });
    if (url.pathname === "/") return send(res, 200, "text/html; charset=utf-8", page.html, { "content-security-policy": csp, "x-frame-options": "DENY" });
    if (url.pathname === "/api/state") return send(res, 200, "application/json", JSON.stringify(await state()));
    return send(res, 404, "text/plain", "Not found.\n");
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, "text/plain", `The dashboard could not read the wallet: ${(error as Error).message}\n`);
      else res.destroy();
    });
  });
  await listen(server, port);
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  origin = `http://127.0.0.1:${bound}`;
  return {
    url: `${origin}/?token=${token}`,
    port: bound,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
