import type { FacilitatorClient, PaywallProvider, RouteConfig, RoutesConfig } from "@x402/core/server";
import type { Network } from "@x402/core/types";
import { ExactEvmScheme } from "@x402/evm/exact/server";
import { paymentMiddlewareFromHTTPServer, x402HTTPResourceServer, x402ResourceServer } from "@x402/express";
import { SOLANA_DEVNET_CAIP2 } from "@x402/svm";
import { ExactSvmScheme } from "@x402/svm/exact/server";
import type { Address } from "@solana/kit";
import {
  buildResourceApp,
  listenLocal,
  offlinePaywallHtml,
  type Latency,
  type Listening,
  type RouteSpec,
} from "../routes.js";

/** One entry of a v2 route's `accepts`. */
export type PaymentOption = Exclude<RouteConfig["accepts"], unknown[]>;

export const SOLANA_DEVNET = SOLANA_DEVNET_CAIP2 as Network;

/** Path of the route that offers an EVM and a Solana option side by side (served when `evm` is given). */
export const EITHER_CHAIN_PATH = "/paid-either";
export const EITHER_CHAIN_PRICE = "$0.03";

/** The EVM half of the side-by-side route: an official facilitator that settles eip155 payments. */
export interface EvmSide {
  facilitator: FacilitatorClient;
  network: Network;
  payTo: `0x${string}`;
}

/**
 * One Solana payment option of @x402/express: "exact" on devnet, a "$" price becoming devnet USDC
 * (ExactSvmScheme's default asset) and `extra.feePayer` filled in from the facilitator. Exported so
 * the EVM rig's server can list it beside its own option on one route.
 */
export function svmPaymentOption(price: string, payTo: Address): PaymentOption {
  return { scheme: "exact", price, network: SOLANA_DEVNET, payTo };
}

/** Registers the server half of exact/SVM on a resource server (what {@link svmPaymentOption} needs). */
export function registerSvmServerScheme(server: x402ResourceServer, opts: { rpcUrl?: string } = {}): x402ResourceServer {
  // With rpcUrl the 402 carries extra.recentBlockhash; without it the client fetches its own.
  return server.register(SOLANA_DEVNET, new ExactSvmScheme(opts.rpcUrl ? { rpcUrl: opts.rpcUrl } : {}));
}

const offlinePaywall: PaywallProvider = {
  generateHtml: (paymentRequired) => offlinePaywallHtml(paymentRequired),
};

/**
 * A merchant as the official v2 docs build it, paid in USDC on Solana devnet through the official
 * SVM facilitator; with `evm`, also a route that takes either chain.
 */
export async function startSvmServer(opts: {
  routes: RouteSpec[];
  payTo: Address;
  facilitator: FacilitatorClient;
  latency: Latency;
  /** Embed a recent blockhash from this RPC in each 402 (ExactSvmScheme's rpcUrl option). */
  blockhashRpcUrl?: string;
  evm?: EvmSide;
}): Promise<Listening> {
  const facilitators = opts.evm ? [opts.facilitator, opts.evm.facilitator] : opts.facilitator;
  const resourceServer = registerSvmServerScheme(new x402ResourceServer(facilitators), {
    ...(opts.blockhashRpcUrl ? { rpcUrl: opts.blockhashRpcUrl } : {}),
  });

  const routes = [...opts.routes];
  const routesConfig: RoutesConfig = {};
  for (const route of opts.routes) {
    if (!route.price) continue;
    routesConfig[`${route.method} ${route.path}`] = {
      accepts: svmPaymentOption(route.price, opts.payTo),
      description: route.description ?? "",
      mimeType: route.mimeType ?? "application/json",
    };
  }
  if (opts.evm) {
    resourceServer.register(opts.evm.network, new ExactEvmScheme());
    const evmOption: PaymentOption = {
      scheme: "exact",
      price: EITHER_CHAIN_PRICE,
      network: opts.evm.network,
      payTo: opts.evm.payTo,
    };
    routesConfig[`GET ${EITHER_CHAIN_PATH}`] = {
      accepts: [evmOption, svmPaymentOption(EITHER_CHAIN_PRICE, opts.payTo)],
      description: "paid on Base Sepolia or Solana devnet",
      mimeType: "application/json",
    };
    routes.push({
      method: "GET",
      path: EITHER_CHAIN_PATH,
      respond: (_req, res) => void res.json({ data: "either chain" }),
    });
  }

  // Initialised here so a bad route or facilitator fails start-up, not the first request.
  const httpServer = new x402HTTPResourceServer(resourceServer, routesConfig);
  await httpServer.initialize();
  const payment = paymentMiddlewareFromHTTPServer(httpServer, undefined, offlinePaywall, false);
  return listenLocal(buildResourceApp({ routes, version: 2, latency: opts.latency, payment }));
}
