import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSolanaRig, type SolanaRig, type SolanaRigWallet } from "../rig/solana/index.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";
import { signatureTap } from "./signatureTap.js";

const DEVNET = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1";

/**
 * x402 v1 on Solana: the official x402-express server on "solana-devnet", settling through the
 * official SVM facilitator over HTTP. The wallet's v1 payload is what that stack accepts.
 */
describe("Solana: exact/SVM over x402 v1 (solana-devnet)", () => {
  let rig: SolanaRig;
  let wallet: SolanaRigWallet;
  let tap: Awaited<ReturnType<typeof signatureTap>>;
  let mcp: McpSession;

  beforeAll(async () => {
    rig = await startSolanaRig();
    wallet = await rig.newWallet(1_000_000n);
    tap = await signatureTap(rig.v1.url);
    mcp = await startMcp({
      config: { networks: [DEVNET], rpc: { [DEVNET]: rig.rpcUrl }, hosts: { allowPrivate: true } },
      env: { X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 },
    });
  }, 60_000);
  afterAll(async () => {
    await mcp?.close();
    await tap?.close();
    await rig?.stop();
  });

  it("pays a v1 GET: exactly 10000 USDC units move, the receipt is verified on the CAIP-2 network", async () => {
    const before = { payer: await rig.usdcBalanceOf(wallet.address), payTo: await rig.usdcBalanceOf(rig.payTo) };
    const result = await mcp.call("paid_fetch", { url: `${tap.url}/paid` });
    expect(result.isError, textOf(result) + mcp.stderr()).toBeFalsy();
    const out = result.structuredContent as Record<string, any>;
    expect(JSON.parse(out.body)).toMatchObject({ data: "paid content" });
    expect(out.payment).toMatchObject({ status: "verified", network: DEVNET, amountAtomic: "10000", payer: wallet.address, payTo: rig.payTo });
    expect(out.payment.explorerUrl).toBe(`https://explorer.solana.com/tx/${out.payment.transaction}?cluster=devnet`);
    expect(before.payer - (await rig.usdcBalanceOf(wallet.address))).toBe(10_000n);
    expect((await rig.usdcBalanceOf(rig.payTo)) - before.payTo).toBe(10_000n);
    expect(tap.signatures).toHaveLength(1);
    const sent = JSON.parse(Buffer.from(tap.signatures[0]!, "base64").toString("utf8"));
    expect(sent).toMatchObject({ x402Version: 1, scheme: "exact", network: "solana-devnet" });
    expect(typeof sent.payload.transaction).toBe("string");
  });

  it("pays a v1 POST with its body: 20000 units, verified", async () => {
    const before = await rig.usdcBalanceOf(wallet.address);
    const result = await mcp.call("paid_fetch", {
      url: `${rig.v1.url}/paid-post`,
      method: "POST",
      body: JSON.stringify({ hello: "v1" }),
      headers: { "content-type": "application/json" },
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    const out = result.structuredContent as Record<string, any>;
    expect(JSON.parse(out.body)).toEqual({ received: { hello: "v1" } });
    expect(out.payment).toMatchObject({ status: "verified", amountAtomic: "20000", network: DEVNET });
    expect(before - (await rig.usdcBalanceOf(wallet.address))).toBe(20_000n);
  });
});
