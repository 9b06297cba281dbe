import type { Network } from "@x402/core/types";
import { ExactEvmScheme } from "@x402/evm/exact/server";
import type { RoutesConfig } from "@x402/core/server";
import { paymentMiddlewareFromHTTPServer, x402HTTPResourceServer, x402ResourceServer } from "@x402/express";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignerClient } from "../rig/chain.js";
import { createFacilitatorV2 } from "../rig/facilitatorV2.js";
import { NETWORK_V2, startRig, type Rig } from "../rig/index.js";
import { buildResourceApp, listenLocal, offlinePaywallHtml, type Listening } from "../rig/routes.js";
import {
  createSvmFacilitator,
  EITHER_CHAIN_PATH,
  LAMPORTS_PER_SOL,
  registerSvmServerScheme,
  startSolanaRig,
  svmPaymentOption,
  type PaymentOption,
  type SolanaRig,
} from "../rig/solana/index.js";
import { startMcp, textOf } from "./mcpClient.js";

const DEVNET = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1";
const BASE_SEPOLIA = "eip155:84532";

/**
 * One 402 offering Base Sepolia and Solana side by side, served by the official @x402/express
 * with both official facilitators: the wallet pays the cheaper in USD, a tie in the order of
 * `networks`, and with one family's key only the option of that family, whatever it costs.
 */
describe("choosing between an EVM and a Solana option of one route", () => {
  let evm: Rig;
  let svm: SolanaRig;
  let priced: Listening;

  beforeAll(async () => {
    evm = await startRig({ routes: [] });
    // A facilitator account of its own: sharing the EVM rig's would race its nonce manager.
    const account = privateKeyToAccount(generatePrivateKey());
    await evm.testClient.setBalance({ address: account.address, value: 10n ** 18n });
    const evmFacilitator = createFacilitatorV2(createSignerClient(evm.rpcUrl, evm.chain, account)).client;
    svm = await startSolanaRig({ evm: { facilitator: evmFacilitator, network: NETWORK_V2, payTo: evm.payTo } });

    // Routes where one side is cheaper; the rig's EITHER_CHAIN_PATH prices both alike.
    const feePayer = await svm.newWallet();
    svm.airdrop(feePayer.address, LAMPORTS_PER_SOL);
    const svmFacilitator = createSvmFacilitator({ feePayer: feePayer.signer, rpcUrl: svm.rpcUrl }).client;
    const resourceServer = registerSvmServerScheme(new x402ResourceServer([svmFacilitator, evmFacilitator]));
    resourceServer.register(NETWORK_V2 as Network, new ExactEvmScheme());
    const evmOption = (price: string): PaymentOption => ({ scheme: "exact", price, network: NETWORK_V2 as Network, payTo: evm.payTo });
    const route = (evmPrice: string, svmPrice: string) => ({
      accepts: [evmOption(evmPrice), svmPaymentOption(svmPrice, svm.payTo)],
      description: "",
      mimeType: "application/json",
    });
    const routesConfig: RoutesConfig = { "GET /svm-cheaper": route("$0.02", "$0.01"), "GET /evm-cheaper": route("$0.01", "$0.02") };
    const httpServer = new x402HTTPResourceServer(resourceServer, routesConfig);
    await httpServer.initialize();
    const payment = paymentMiddlewareFromHTTPServer(httpServer, undefined, { generateHtml: (required) => offlinePaywallHtml(required) }, false);
    const routes = ["/svm-cheaper", "/evm-cheaper"].map((path) => ({
      method: "GET" as const,
      path,
      respond: (_req: unknown, res: { json(body: unknown): void }) => void res.json({ data: path }),
    }));
    priced = await listenLocal(buildResourceApp({ routes, version: 2, latency: { ms: 0 }, payment }));
  }, 120_000);
  afterAll(async () => {
    await priced?.close();
    await Promise.all([svm?.stop(), evm?.stop()]);
  });

  type Expect = [path: string, network: string, amount: bigint];
  it.each([
    {
      name: "both keys, Base Sepolia first in networks: the cheaper, the tie on Base Sepolia",
      keys: "both keys",
      networks: [BASE_SEPOLIA, DEVNET],
      paths: [["/svm-cheaper", DEVNET, 10_000n], ["/evm-cheaper", BASE_SEPOLIA, 10_000n], [EITHER_CHAIN_PATH, BASE_SEPOLIA, 30_000n]] as Expect[],
    },
    {
      name: "both keys, Solana first in networks: the cheaper, the tie on Solana",
      keys: "both keys",
      networks: [DEVNET, BASE_SEPOLIA],
      paths: [["/svm-cheaper", DEVNET, 10_000n], ["/evm-cheaper", BASE_SEPOLIA, 10_000n], [EITHER_CHAIN_PATH, DEVNET, 30_000n]] as Expect[],
    },
    {
      name: "the EVM key only, Solana first in networks: Base Sepolia even where Solana is cheaper",
      keys: "the EVM key only",
      networks: [DEVNET, BASE_SEPOLIA],
      paths: [["/svm-cheaper", BASE_SEPOLIA, 20_000n], [EITHER_CHAIN_PATH, BASE_SEPOLIA, 30_000n]] as Expect[],
    },
    {
      name: "the Solana key only, Base Sepolia first in networks: Solana even where Base Sepolia is cheaper",
      keys: "the Solana key only",
      networks: [BASE_SEPOLIA, DEVNET],
      paths: [["/evm-cheaper", DEVNET, 20_000n], [EITHER_CHAIN_PATH, DEVNET, 30_000n]] as Expect[],
    },
  ])("$name", async ({ keys, networks, paths }) => {
    const evmWallet = await evm.newWallet(1_000_000n);
    const solWallet = await svm.newWallet(1_000_000n);
    const env: Record<string, string> = {};
    if (keys !== "the Solana key only") env.X402_PRIVATE_KEY = evmWallet.privateKey;
    if (keys !== "the EVM key only") env.X402_SOLANA_PRIVATE_KEY = solWallet.secretKeyBase58;
    const mcp = await startMcp({
      config: {
        networks,
        rpc: { [BASE_SEPOLIA]: evm.rpcUrl, [DEVNET]: svm.rpcUrl },
        hosts: { allowPrivate: true },
        budget: { perCall: "0.05", perSession: "1.00", perDay: "1.00" },
      },
      env,
    });
    try {
      let evmSpent = 0n;
      let solSpent = 0n;
      for (const [path, network, amount] of paths) {
        const base = path === EITHER_CHAIN_PATH ? svm.v2.url : priced.url;
        const result = await mcp.call("paid_fetch", { url: `${base}${path}` });
        expect(result.isError, textOf(result)).toBeFalsy();
        const receipt = (result.structuredContent as { payment: Record<string, unknown> }).payment;
        expect(receipt, path).toMatchObject({ status: "verified", network, amountAtomic: amount.toString() });
        if (network === DEVNET) solSpent += amount;
        else evmSpent += amount;
      }
      expect(1_000_000n - (await evm.balanceOf(evmWallet.address))).toBe(evmSpent);
      expect(1_000_000n - (await svm.usdcBalanceOf(solWallet.address))).toBe(solSpent);
    } finally {
      await mcp.close();
    }
  });
});
