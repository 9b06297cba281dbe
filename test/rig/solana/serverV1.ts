import type { RequestHandler } from "express";
import { paymentMiddleware } from "x402-express";
import type { RoutesConfig } from "x402/types";
import type { Address } from "@solana/kit";
import {
  buildResourceApp,
  listenLocal,
  offlinePaywallHtml,
  type Latency,
  type Listening,
  type RouteSpec,
} from "../routes.js";
import { usdToAtomic } from "../token.js";
import { DEVNET_USDC_MINT, USDC_DECIMALS } from "./funding.js";

/** x402 v1's name for Solana devnet. */
export const SOLANA_DEVNET_V1 = "solana-devnet" as const;

/**
 * A merchant as the official v1 docs build it: x402-express on "solana-devnet", pointed at a
 * facilitator URL, which it asks for the fee payer (GET /supported) on every 402.
 */
export async function startSvmServerV1(opts: {
  routes: RouteSpec[];
  payTo: Address;
  facilitatorUrl: string;
  latency: Latency;
}): Promise<Listening> {
  const routesConfig: RoutesConfig = {};
  for (const route of opts.routes) {
    if (!route.price) continue;
    routesConfig[`${route.method} ${route.path}`] = {
      // Atomic amount: x402 v1 converts "$" prices with float maths.
      price: {
        amount: usdToAtomic(route.price).toString(),
        asset: { address: DEVNET_USDC_MINT, decimals: USDC_DECIMALS },
      },
      network: SOLANA_DEVNET_V1,
      config: {
        description: route.description ?? "",
        mimeType: route.mimeType ?? "application/json",
        customPaywallHtml: offlinePaywallHtml({ route: `${route.method} ${route.path}`, price: route.price }),
      },
    };
  }
  // `url` keeps x402-express off its default https://x402.org/facilitator.
  const payment = paymentMiddleware(opts.payTo, routesConfig, {
    url: opts.facilitatorUrl as `${string}://${string}`,
  }) as unknown as RequestHandler;
  return listenLocal(buildResourceApp({ routes: opts.routes, version: 1, latency: opts.latency, payment }));
}
