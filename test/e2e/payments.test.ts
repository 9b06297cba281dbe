import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, type Rig } from "../rig/index.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";

/** Paid GET and POST against the official v2 and v1 servers, settled on the local chain. */
describe("paid_fetch against official x402 servers", () => {
  let rig: Rig;
  let wallet: { privateKey: `0x${string}`; address: `0x${string}` };
  let mcp: McpSession;

  beforeAll(async () => {
    rig = await startRig();
    wallet = await rig.newWallet(5_000_000n);
    mcp = await startMcp({
      config: { networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, hosts: { allowPrivate: true } },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
    });
  });
  afterAll(async () => {
    await mcp?.close();
    await rig?.stop();
  });

  async function paysExactly(atomic: bigint, call: () => Promise<unknown>): Promise<void> {
    const [payerBefore, payToBefore] = await Promise.all([rig.balanceOf(wallet.address), rig.balanceOf(rig.payTo)]);
    await call();
    const [payerAfter, payToAfter] = await Promise.all([rig.balanceOf(wallet.address), rig.balanceOf(rig.payTo)]);
    expect(payerBefore - payerAfter).toBe(atomic);
    expect(payToAfter - payToBefore).toBe(atomic);
  }

  for (const version of [2, 1] as const) {
    const base = () => (version === 2 ? rig.v2.url : rig.v1.url);

    it(`pays a v${version} GET and returns content plus a receipt`, async () => {
      await paysExactly(10_000n, async () => {
        const result = await mcp.call("paid_fetch", { url: `${base()}/paid` });
        expect(result.isError).toBeFalsy();
        const out = result.structuredContent as Record<string, any>;
        expect(out.status).toBe(200);
        expect(JSON.parse(out.body)).toMatchObject({ data: "paid content" });
        expect(out.payment).toMatchObject({
          status: "verified",
          amount: "0.01",
          amountAtomic: "10000",
          asset: rig.usdc,
          symbol: "USDC",
          network: "eip155:84532",
          payer: wallet.address,
          scheme: "exact",
          x402Version: version,
        });
        expect(out.payment.payTo.toLowerCase()).toBe(rig.payTo.toLowerCase());
        expect(out.payment.transaction).toMatch(/^0x[0-9a-f]{64}$/);
        expect(out.payment.explorerUrl).toBe(`https://sepolia.basescan.org/tx/${out.payment.transaction}`);
        const receipt = await rig.publicClient.getTransactionReceipt({ hash: out.payment.transaction });
        expect(receipt.status).toBe("success");
        expect(textOf(result)).toMatch(/Paid 0\.01 USDC to 0x[0-9a-fA-F]{40} on Base Sepolia \(eip155:84532\); transaction 0x[0-9a-f]{64}, verified on-chain/);
      });
    });

    it(`pays a v${version} POST and the server receives the body`, async () => {
      await paysExactly(20_000n, async () => {
        const result = await mcp.call("paid_fetch", {
          url: `${base()}/paid-post`,
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ question: "meaning of life", n: 42 }),
        });
        expect(result.isError).toBeFalsy();
        const out = result.structuredContent as Record<string, any>;
        expect(JSON.parse(out.body)).toEqual({ received: { question: "meaning of life", n: 42 } });
        expect(out.payment.amountAtomic).toBe("20000");
      });
    });
  }

  it("fetches a free URL without paying", async () => {
    await paysExactly(0n, async () => {
      const result = await mcp.call("paid_fetch", { url: `${rig.v2.url}/free` });
      const out = result.structuredContent as Record<string, any>;
      expect(out.body).toBe("free content");
      expect(out.payment).toBeNull();
      expect(textOf(result)).toMatch(/No payment was needed/);
    });
  });

  it("wallet_balance equals the chain and reports the session budget", async () => {
    const result = await mcp.call("wallet_balance");
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as Record<string, any>;
    expect(out.address).toBe(wallet.address);
    const onChain = await rig.balanceOf(wallet.address);
    expect(out.balances).toEqual([
      expect.objectContaining({ network: "eip155:84532", balanceAtomic: onChain.toString(), symbol: "USDC", error: null }),
    ]);
    // 2 × (0.01 + 0.02) paid so far in this session.
    expect(out.budget).toEqual({
      perCall: "0.10",
      session: { spent: "0.06", limit: "1.00", remaining: "0.94" },
      day: { spent: "0.06", limit: "5.00", remaining: "4.94" },
    });
  });

  it("reports a network whose RPC fails instead of crashing", async () => {
    const broken = await startMcp({
      config: {
        networks: ["eip155:84532", "eip155:8453"],
        rpc: { "eip155:84532": rig.rpcUrl, "eip155:8453": "http://127.0.0.1:9" },
        hosts: { allowPrivate: true },
      },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
    });
    try {
      const out = (await broken.call("wallet_balance")).structuredContent as Record<string, any>;
      expect(out.balances[0].balanceAtomic).toBe((await rig.balanceOf(wallet.address)).toString());
      expect(out.balances[1]).toMatchObject({ network: "eip155:8453", balance: null });
      expect(out.balances[1].error).toMatch(/RPC http:\/\/127\.0\.0\.1:9 failed/);
    } finally {
      await broken.close();
    }
  });
});
