import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { RouteConfig } from "@x402/core/server";
import express, { type Express, type Request, type RequestHandler, type Response } from "express";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteContext {
  /** x402 protocol version of the server answering: 1 (x402-express) or 2 (@x402/express). */
  version: 1 | 2;
}

export interface RouteSpec {
  method: HttpMethod;
  /** Literal path such as "/paid" (both x402 route matchers also accept `*` wildcards). */
  path: string;
  /** USD price such as "$0.01", paid in test USDC. Omit for a free route. */
  price?: string;
  description?: string;
  /** Advertised in the payment requirements; defaults to application/json. */
  mimeType?: string;
  /** Must finish the response: both middlewares hold it back until settlement. */
  respond(req: Request, res: Response, ctx: RouteContext): void | Promise<void>;
}

/** One payment option of @x402/express, before the server adds its network and payTo. */
export type V2PaymentOption = Omit<Exclude<RouteConfig["accepts"], unknown[]>, "network" | "payTo">;

/**
 * A route only the v2 server serves, paid as `payment` says: any scheme, asset or transfer
 * method @x402/express knows (Permit2, upto…), where a {@link RouteSpec} is a "$" price in USDC.
 */
export interface V2RouteSpec extends Omit<RouteSpec, "price"> {
  payment: V2PaymentOption;
  /** Extensions the route declares in its 402 (e.g. eip2612GasSponsoring), as RouteConfig takes them. */
  extensions?: RouteConfig["extensions"];
}

export const DEFAULT_ROUTES: RouteSpec[] = [
  {
    method: "GET",
    path: "/paid",
    price: "$0.01",
    description: "paid JSON",
    respond: (_req, res, { version }) => void res.json({ data: "paid content", version }),
  },
  {
    method: "POST",
    path: "/paid-post",
    price: "$0.02",
    description: "echoes the request body",
    respond: (req, res) => void res.json({ received: req.body as unknown }),
  },
  {
    method: "GET",
    path: "/expensive",
    price: "$0.50",
    description: "expensive JSON",
    respond: (_req, res) => void res.json({ data: "expensive" }),
  },
  {
    method: "GET",
    path: "/cheap",
    price: "$0.001",
    description: "cheap text",
    mimeType: "text/plain",
    respond: (_req, res) => void res.type("text/plain").send("cheap content"),
  },
  {
    method: "GET",
    path: "/free",
    respond: (_req, res) => void res.type("text/plain").send("free content"),
  },
];

/** A mutable delay so a benchmark can change it between runs without restarting servers. */
export interface Latency {
  ms: number;
}

/**
 * Express app shared by the v1 and v2 servers: latency first (so 402s are slowed down too),
 * then body parsing (the POST echo needs it), then the x402 middleware, then the routes.
 */
export function buildResourceApp(opts: {
  routes: RouteSpec[];
  version: 1 | 2;
  latency: Latency;
  payment: RequestHandler;
}): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use((_req, _res, next) => {
    if (opts.latency.ms > 0) setTimeout(next, opts.latency.ms);
    else next();
  });
  app.use(express.json(), express.text({ type: "text/*" }));
  app.use(opts.payment);
  const ctx: RouteContext = { version: opts.version };
  for (const spec of opts.routes) {
    const method = spec.method.toLowerCase() as Lowercase<HttpMethod>;
    app[method](spec.path, async (req, res) => {
      await spec.respond(req, res, ctx);
    });
  }
  return app;
}

export interface Listening {
  url: string;
  close(): Promise<void>;
}

export async function listenLocal(app: Express): Promise<Listening> {
  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets from clients would otherwise hold close() open for seconds.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Paywall page for browsers that references nothing outside this page (no CDN, no fonts). */
export function offlinePaywallHtml(paymentRequired: unknown): string {
  const json = JSON.stringify(paymentRequired, null, 2)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Payment Required</title></head>
<body><h1>402 Payment Required</h1><p>Pay with an x402 client.</p><pre>${json}</pre></body></html>`;
}
