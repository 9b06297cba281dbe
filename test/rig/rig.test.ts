import type { PaymentRequirements } from "@x402/core/types";
import { registerExactEvmScheme } from "@x402/evm/exact/client";
import { ExactEvmSchemeV1 } from "@x402/evm/exact/v1/client";
import { decodePaymentResponseHeader, wrapFetchWithPayment, x402Client } from "@x402/fetch";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, usdcAbi, type Rig, type RigWallet } from "./index.js";

const TX_HASH = /^0x[0-9a-f]{64}$/i;

let rig: Rig;

beforeAll(async () => {
  rig = await startRig();
});

afterAll(async () => {
  await rig?.stop();
});

function v2Fetch(wallet: RigWallet) {
  const client = new x402Client();
  registerExactEvmScheme(client, { signer: privateKeyToAccount(wallet.privateKey) });
  return wrapFetchWithPayment(fetch, client);
}

async function balances(wallet: RigWallet) {
  const [payer, payTo] = await Promise.all([rig.balanceOf(wallet.address), rig.balanceOf(rig.payTo)]);
  return { payer, payTo };
}

describe("test rig", () => {
  it("installs a token that looks like Base Sepolia USDC", async () => {
    const read = (functionName: "name" | "version" | "decimals") =>
      rig.publicClient.readContract({ address: rig.usdc, abi: usdcAbi, functionName });
    expect(await read("name")).toBe("USDC");
    expect(await read("version")).toBe("2");
    expect(await read("decimals")).toBe(6);
    expect(await rig.balanceOf(rig.payer.address)).toBe(100_000_000n);
  });

  it("serves /free without payment on both servers", async () => {
    for (const base of [rig.v1.url, rig.v2.url]) {
      const res = await fetch(`${base}/free`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("free content");
    }
  });

  it("v2: @x402/fetch pays GET /paid and USDC moves on-chain", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const before = await balances(wallet);

    const res = await v2Fetch(wallet)(`${rig.v2.url}/paid`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: "paid content", version: 2 });

    const header = res.headers.get("PAYMENT-RESPONSE");
    expect(header).toBeTruthy();
    const settlement = decodePaymentResponseHeader(header!);
    expect(settlement.success).toBe(true);
    expect(settlement.transaction).toMatch(TX_HASH);
    expect(settlement.network).toBe("eip155:84532");

    const after = await balances(wallet);
    expect(before.payer - after.payer).toBe(10_000n);
    expect(after.payTo - before.payTo).toBe(10_000n);
  });

  it("v2: POST /paid-post echoes the JSON body", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const res = await v2Fetch(wallet)(`${rig.v2.url}/paid-post`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ hello: "world", n: 1 }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: { hello: "world", n: 1 } });
    expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n - 20_000n);
  });

  it("v1: 402 with accepts, then a hand-built X-PAYMENT settles on-chain", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const before = await balances(wallet);

    const first = await fetch(`${rig.v1.url}/paid`);
    expect(first.status).toBe(402);
    const body = (await first.json()) as { x402Version: number; accepts: Record<string, unknown>[] };
    expect(body.x402Version).toBe(1);
    const requirements = body.accepts[0]!;
    expect(requirements).toMatchObject({
      scheme: "exact",
      network: "base-sepolia",
      maxAmountRequired: "10000",
      payTo: rig.payTo,
      asset: rig.usdc,
      extra: { name: "USDC", version: "2" },
    });

    const scheme = new ExactEvmSchemeV1(privateKeyToAccount(wallet.privateKey));
    const payload = await scheme.createPaymentPayload(1, requirements as unknown as PaymentRequirements);
    const xPayment = Buffer.from(JSON.stringify(payload)).toString("base64");

    const paid = await fetch(`${rig.v1.url}/paid`, { headers: { "X-PAYMENT": xPayment } });
    expect(paid.status).toBe(200);
    expect(await paid.json()).toEqual({ data: "paid content", version: 1 });

    const header = paid.headers.get("X-PAYMENT-RESPONSE");
    expect(header).toBeTruthy();
    const settlement = JSON.parse(Buffer.from(header!, "base64").toString("utf8")) as Record<string, unknown>;
    expect(settlement).toMatchObject({ success: true, network: "base-sepolia", payer: wallet.address });
    expect(settlement.transaction).toMatch(TX_HASH);

    const after = await balances(wallet);
    expect(before.payer - after.payer).toBe(10_000n);
    expect(after.payTo - before.payTo).toBe(10_000n);

    // The same authorization again must not pay twice.
    const replay = await fetch(`${rig.v1.url}/paid`, { headers: { "X-PAYMENT": xPayment } });
    expect(replay.status).toBe(402);
    expect(await rig.balanceOf(wallet.address)).toBe(after.payer);
  });

  it("stop() is idempotent", async () => {
    const other = await startRig({ routes: [] });
    await other.stop();
    await other.stop();
    await expect(fetch(`${other.v2.url}/free`)).rejects.toThrow();
  });
});

