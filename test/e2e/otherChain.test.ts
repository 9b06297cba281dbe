import { decodePaymentRequiredHeader } from "@x402/core/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChainRig, type ChainRig } from "../rig/chainRig.js";
import type { RigWallet } from "../rig/index.js";
import { usdcAbi } from "../rig/token.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";
import { signatureTap } from "./signatureTap.js";

const POLYGON = "eip155:137";
const PRICE = 10_000n;

/**
 * Polygon on its own anvil (chain id 137): a stand-in USDC at Polygon's USDC address with its
 * EIP-712 domain ("USD Coin", "2"), the official facilitator and @x402/express pricing "$0.01".
 * The official server alone turns the "$" into Polygon's USDC; the wallet knows it from its
 * table, so enabling the network (and an RPC for it) is all the owner configures.
 */
describe("another chain of the table: Polygon, priced in $", () => {
  let rig: ChainRig;
  let wallet: RigWallet;
  let tap: Awaited<ReturnType<typeof signatureTap>>;
  const sessions: McpSession[] = [];
  const start = async (config: Record<string, unknown>) => {
    const mcp = await startMcp({ config: { hosts: { allowPrivate: true }, ...config }, env: { X402_PRIVATE_KEY: wallet.privateKey } });
    sessions.push(mcp);
    return mcp;
  };

  beforeAll(async () => {
    rig = await startChainRig({ network: POLYGON });
    wallet = await rig.newWallet(1_000_000n);
    tap = await signatureTap(rig.v2.url);
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await tap?.close();
    await rig?.stop();
  });

  it("the rig is Polygon as the official server sees it: chain 137, USDC at its address and domain, $0.01 = 10000 of it", async () => {
    expect(await rig.publicClient.getChainId()).toBe(137);
    const read = (functionName: "name" | "version") => rig.publicClient.readContract({ address: rig.token.address, abi: usdcAbi, functionName });
    expect([await read("name"), await read("version")]).toEqual(["USD Coin", "2"]);
    const answer = await fetch(`${rig.v2.url}/paid`);
    expect(answer.status).toBe(402);
    const required = decodePaymentRequiredHeader(answer.headers.get("payment-required")!);
    expect(required.accepts).toEqual([
      expect.objectContaining({
        scheme: "exact",
        network: POLYGON,
        asset: "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359",
        amount: PRICE.toString(),
        extra: expect.objectContaining({ name: "USD Coin", version: "2" }),
      }),
    ]);
  });

  it("with networks and rpc only, pays exactly the price on chain 137, verified, with a polygonscan link", async () => {
    const mcp = await start({ networks: [POLYGON], rpc: { [POLYGON]: rig.rpcUrl } });
    const before = { payer: await rig.balanceOf(wallet.address), payTo: await rig.balanceOf(rig.payTo) };
    const result = await mcp.call("paid_fetch", { url: `${tap.url}/paid` });
    expect(result.isError, textOf(result)).toBeFalsy();
    const out = result.structuredContent as Record<string, any>;
    expect(JSON.parse(out.body)).toMatchObject({ data: "paid content" });
    expect(out.payment).toMatchObject({
      status: "verified",
      network: POLYGON,
      asset: rig.token.address,
      symbol: "USDC",
      amount: "0.01",
      amountAtomic: PRICE.toString(),
      payer: wallet.address,
    });
    expect(out.payment.explorerUrl).toBe(`https://polygonscan.com/tx/${out.payment.transaction}`);
    expect(textOf(result)).toContain("on Polygon (eip155:137)");
    const after = { payer: await rig.balanceOf(wallet.address), payTo: await rig.balanceOf(rig.payTo) };
    expect(before.payer - after.payer).toBe(PRICE);
    expect(after.payTo - before.payTo).toBe(PRICE);
    expect(tap.signatures).toHaveLength(1);
    const sent = JSON.parse(Buffer.from(tap.signatures[0]!, "base64").toString("utf8"));
    expect(sent.accepted).toMatchObject({ network: POLYGON, asset: rig.token.address });
  });

  it("with the default networks (Base only), the same route is refused NO_ACCEPTABLE_PAYMENT_OPTION and nothing is signed", async () => {
    const signedBefore = tap.signatures.length;
    const mcp = await start({});
    const before = await rig.balanceOf(wallet.address);
    const result = await mcp.call("paid_fetch", { url: `${tap.url}/paid?default-networks` });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toMatch(/^\[NO_ACCEPTABLE_PAYMENT_OPTION\] /);
    expect(text).toContain(POLYGON);
    expect(tap.signatures).toHaveLength(signedBefore);
    expect(await rig.balanceOf(wallet.address)).toBe(before);
    expect(JSON.stringify((await mcp.call("spending_history")).structuredContent)).not.toContain(rig.token.address.slice(2, 12));
  });
});
