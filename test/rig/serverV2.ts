import { paymentMiddlewareFromHTTPServer, x402HTTPResourceServer, x402ResourceServer } from "@x402/express";
import type { Network } from "@x402/core/types";
import type { FacilitatorClient, PaywallProvider, RoutesConfig } from "@x402/core/server";
import { ExactEvmScheme } from "@x402/evm/exact/server";
import { UptoEvmScheme } from "@x402/evm/upto/server";
import type { Address } from "viem";
import { NETWORK_V2 } from "./chain.js";
import {
  buildResourceApp,
  listenLocal,
  offlinePaywallHtml,
  type Latency,
  type Listening,
  type RouteSpec,
  type V2RouteSpec,
} from "./routes.js";

const offlinePaywall: PaywallProvider = {
  generateHtml: (paymentRequired) => offlinePaywallHtml(paymentRequired),
};

/**
 * A merchant server as the official v2 docs build it: @x402/express + ExactEvmScheme on Base
 * Sepolia (or `network`), and UptoEvmScheme for the `upto` routes among `v2Routes`.
 */
export async function startServerV2(opts: {
  routes: RouteSpec[];
  /** Routes this server alone serves, each with its own payment option (Permit2, upto…). */
  v2Routes?: V2RouteSpec[];
  payTo: Address;
  facilitator: FacilitatorClient;
  latency: Latency;
  /** The network every route is paid on. Default: Base Sepolia ({@link NETWORK_V2}). */
  network?: Network;
}): Promise<Listening> {
  const network = opts.network ?? NETWORK_V2;
  const resourceServer = new x402ResourceServer(opts.facilitator)
    .register(network, new ExactEvmScheme())
    .register(network, new UptoEvmScheme());
  const v2Routes = opts.v2Routes ?? [];

  const routesConfig: RoutesConfig = {};
  for (const route of opts.routes) {
    if (!route.price) continue;
    routesConfig[`${route.method} ${route.path}`] = {
      // A "$" price makes ExactEvmScheme pick the network's default asset: USDC at its real address.
      accepts: { scheme: "exact", price: route.price, network, payTo: opts.payTo },
      description: route.description ?? "",
      mimeType: route.mimeType ?? "application/json",
    };
  }
  for (const route of v2Routes) {
    routesConfig[`${route.method} ${route.path}`] = {
      accepts: { ...route.payment, network, payTo: opts.payTo },
      description: route.description ?? "",
      mimeType: route.mimeType ?? "application/json",
      ...(route.extensions ? { extensions: route.extensions } : {}),
    };
  }

  // Initialised here rather than lazily by the middleware, so a bad route config or facilitator
  // fails startRig() with a real error instead of a 500 (and a console line) on the first request.
  const httpServer = new x402HTTPResourceServer(resourceServer, routesConfig);
  await httpServer.initialize();
  const payment = paymentMiddlewareFromHTTPServer(httpServer, undefined, offlinePaywall, false);

  const routes = [...opts.routes, ...v2Routes];
  return listenLocal(buildResourceApp({ routes, version: 2, latency: opts.latency, payment }));
}
