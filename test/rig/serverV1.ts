import type { RequestHandler } from "express";
import type { Address } from "viem";
import { paymentMiddleware } from "x402-express";
import type { RoutesConfig } from "x402/types";
import { NETWORK_V1 } from "./chain.js";
import {
  buildResourceApp,
  listenLocal,
  offlinePaywallHtml,
  type Latency,
  type Listening,
  type RouteSpec,
} from "./routes.js";
import { USDC_ADDRESS, USDC_DECIMALS, USDC_EIP712, usdToAtomic } from "./token.js";

/** A merchant server as the official v1 docs build it: x402-express pointed at a facilitator URL. */
export async function startServerV1(opts: {
  routes: RouteSpec[];
  payTo: Address;
  facilitatorUrl: string;
  latency: Latency;
}): Promise<Listening> {
  const routesConfig: RoutesConfig = {};
  for (const route of opts.routes) {
    if (!route.price) continue;
    routesConfig[`${route.method} ${route.path}`] = {
      // Explicit atomic amount: x402 v1 converts "$" prices with float maths
      // ("$0.0157" becomes "15699.999999999998").
      price: {
        amount: usdToAtomic(route.price).toString(),
        asset: { address: USDC_ADDRESS, decimals: USDC_DECIMALS, eip712: { ...USDC_EIP712 } },
      },
      network: NETWORK_V1,
      config: {
        description: route.description ?? "",
        mimeType: route.mimeType ?? "application/json",
        // The stock v1 paywall is a wallet-connect app; keep browsers on a page that needs no network.
        customPaywallHtml: offlinePaywallHtml({ route: `${route.method} ${route.path}`, price: route.price }),
      },
    };
  }

  // Passing `url` is what keeps x402-express off its default https://x402.org/facilitator.
  const payment = paymentMiddleware(opts.payTo, routesConfig, {
    url: opts.facilitatorUrl as `${string}://${string}`,
  }) as unknown as RequestHandler;

  return listenLocal(buildResourceApp({ routes: opts.routes, version: 1, latency: opts.latency, payment }));
}
