import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { RouteConfig } from "@x402/core/server";
import { paymentMiddlewareFromHTTPServer, x402HTTPResourceServer, type x402ResourceServer } from "@x402/express";
import {
  createSIWxResourceServerExtension,
  declareSIWxExtension,
  InMemorySIWxStorage,
  type DeclareSIWxOptions,
  type SIWxHookEvent,
} from "@x402/extensions/sign-in-with-x";
import { buildResourceApp, offlinePaywallHtml } from "./routes.js";

export const SIWX_PATH = "/paid";

export interface SiwxServer {
  /** Base URL on loopback, no trailing slash; `SIWX_PATH` is the one paid route. */
  url: string;
  /** Every SIGN-IN-WITH-X header that reached the server, as sent. */
  signIns: string[];
  /** Every payment header that reached the server. */
  payments: string[];
  /** What the official extension reported (payment_recorded, access_granted, validation_failed…). */
  events: SIWxHookEvent[];
  close(): Promise<void>;
}

/**
 * A merchant as the official docs build sign-in-with-x: @x402/express with the SIWX
 * resource-server extension of @x402/extensions (its settle hook records who paid for which
 * path in its storage, its request hook grants a signed-in payer the route) and the route
 * declaring the extension. `origin` is the public origin the extension binds challenges to:
 * the server's own by default, another one to make it issue challenges for another domain.
 */
export async function startSiwxServer(opts: {
  resourceServer: x402ResourceServer;
  accepts: RouteConfig["accepts"];
  declare?: DeclareSIWxOptions;
  origin?: string;
}): Promise<SiwxServer> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const events: SIWxHookEvent[] = [];
  const signIns: string[] = [];
  const payments: string[] = [];
  opts.resourceServer.registerExtension(
    createSIWxResourceServerExtension({ origin: opts.origin ?? url, storage: new InMemorySIWxStorage(), onEvent: (e) => void events.push(e) }),
  );
  const httpServer = new x402HTTPResourceServer(opts.resourceServer, {
    [`GET ${SIWX_PATH}`]: { accepts: opts.accepts, description: "paid JSON", mimeType: "application/json", extensions: declareSIWxExtension(opts.declare) },
  });
  await httpServer.initialize();
  const payment = paymentMiddlewareFromHTTPServer(httpServer, undefined, { generateHtml: (required) => offlinePaywallHtml(required) }, false);
  const app = buildResourceApp({
    routes: [{ method: "GET", path: SIWX_PATH, respond: (_req, res) => void res.json({ data: "paid content" }) }],
    version: 2,
    latency: { ms: 0 },
    payment: (req, res, next) => {
      const signIn = req.headers["sign-in-with-x"];
      if (typeof signIn === "string") signIns.push(signIn);
      const paid = req.headers["payment-signature"];
      if (typeof paid === "string") payments.push(paid);
      return payment(req, res, next);
    },
  });
  server.on("request", app);
  return {
    url,
    signIns,
    payments,
    events,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
