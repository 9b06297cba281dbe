import { registerExactEvmScheme } from "@x402/evm/exact/client";
import { decodePaymentResponseHeader, wrapFetchWithPayment, x402Client } from "@x402/fetch";
import { ExactSvmScheme } from "@x402/svm/exact/client";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignerClient } from "./chain.js";
import { createFacilitatorV2 } from "./facilitatorV2.js";
import { NETWORK_V2, startRig, USDC_ADDRESS, usdToAtomic, type Rig } from "./index.js";
import { guardLoopback } from "./solana/loopbackGuard.js";
import { DEVNET_USDC_MINT, EITHER_CHAIN_PATH, EITHER_CHAIN_PRICE, startSolanaRig, type SolanaRig } from "./solana/index.js";

const loopback = guardLoopback();
let evm: Rig;
let svm: SolanaRig;

beforeAll(async () => {
  evm = await startRig({ routes: [] });
  // A facilitator account of its own: sharing the EVM rig's would race its nonce manager.
  const account = privateKeyToAccount(generatePrivateKey());
  await evm.testClient.setBalance({ address: account.address, value: 10n ** 18n });
  const { client } = createFacilitatorV2(createSignerClient(evm.rpcUrl, evm.chain, account));
  svm = await startSolanaRig({ evm: { facilitator: client, network: NETWORK_V2, payTo: evm.payTo } });
});

afterAll(async () => {
  loopback.restore();
  await Promise.all([svm?.stop(), evm?.stop()]);
});

const price = usdToAtomic(EITHER_CHAIN_PRICE);

describe("a route paid on EVM or Solana", () => {
  it("offers both options in one 402", async () => {
    const res = await fetch(`${svm.v2.url}${EITHER_CHAIN_PATH}`);
    expect(res.status).toBe(402);
    const required = JSON.parse(Buffer.from(res.headers.get("PAYMENT-REQUIRED")!, "base64").toString("utf8")) as {
      accepts: Record<string, unknown>[];
    };
    expect(required.accepts).toHaveLength(2);
    expect(required.accepts[0]).toMatchObject({
      scheme: "exact",
      network: NETWORK_V2,
      asset: USDC_ADDRESS,
      amount: price.toString(),
      payTo: evm.payTo,
    });
    expect(required.accepts[1]).toMatchObject({
      scheme: "exact",
      network: svm.network,
      asset: DEVNET_USDC_MINT,
      amount: price.toString(),
      payTo: svm.payTo,
      extra: { feePayer: svm.feePayer },
    });
  });

  it("an official client that only knows Solana pays the Solana option", async () => {
    const wallet = await svm.newWallet(1_000_000n);
    const evmPayToBefore = await evm.balanceOf(evm.payTo);
    const client = new x402Client().register(svm.network, new ExactSvmScheme(wallet.signer, { rpcUrl: svm.rpcUrl }));
    const res = await wrapFetchWithPayment(fetch, client)(`${svm.v2.url}${EITHER_CHAIN_PATH}`);
    expect(res.status).toBe(200);
    expect(decodePaymentResponseHeader(res.headers.get("PAYMENT-RESPONSE")!)).toMatchObject({
      success: true,
      network: svm.network,
      payer: wallet.address,
    });
    expect(await svm.usdcBalanceOf(wallet.address)).toBe(1_000_000n - price);
    expect(await evm.balanceOf(evm.payTo)).toBe(evmPayToBefore);
  });

  it("an official client that only knows EVM pays the EVM option", async () => {
    const wallet = await evm.newWallet(1_000_000n);
    const svmPayToBefore = await svm.usdcBalanceOf(svm.payTo);
    const client = new x402Client();
    registerExactEvmScheme(client, { signer: privateKeyToAccount(wallet.privateKey) });
    const res = await wrapFetchWithPayment(fetch, client)(`${svm.v2.url}${EITHER_CHAIN_PATH}`);
    expect(res.status).toBe(200);
    expect(decodePaymentResponseHeader(res.headers.get("PAYMENT-RESPONSE")!)).toMatchObject({
      success: true,
      network: NETWORK_V2,
      payer: wallet.address,
    });
    expect(await evm.balanceOf(wallet.address)).toBe(1_000_000n - price);
    expect(await svm.usdcBalanceOf(svm.payTo)).toBe(svmPayToBefore);
  });

  it("nothing left loopback", () => {
    expect(loopback.offLoopback).toEqual([]);
    expect(svm.rpc.unknownMethods).toEqual([]);
  });
});
