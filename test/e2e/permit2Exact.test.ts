import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodePaymentRequiredHeader, encodePaymentRequiredHeader } from "@x402/core/http";
import { getAddress, maxUint256, parseEther } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, tempHome } from "../cli/run.js";
import { PERMIT2_EXACT_PATH, PERMIT2_EXACT_PRICE, X402_EXACT_PERMIT2_PROXY, startRig, type Rig, type RigPermit2, type RigWallet } from "../rig/index.js";
import { startMcp, textOf, writeConfig, type McpSession } from "./mcpClient.js";

/**
 * The rig's v2 server behind a loopback proxy that counts the paid requests reaching it and
 * keeps the payment headers, so "nothing was signed" is checked where a signature would land.
 * With `answer412`, a paid request is not forwarded: the proxy answers as an exact-Permit2
 * server whose allowance check failed (412, PAYMENT-REQUIRED with permit2_allowance_required).
 */
async function countingProxy(target: string) {
  const state = { paid: [] as string[], answer412: false };
  const server: Server = createServer(async (req, res) => {
    const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === "string" && e[0] !== "host"));
    const signature = headers["payment-signature"];
    if (signature) state.paid.push(signature);
    const upstream = await fetch(`${target}${req.url}`, { method: req.method, headers: signature && state.answer412 ? {} : headers });
    const body = Buffer.from(await upstream.arrayBuffer());
    if (signature && state.answer412) {
      const required = decodePaymentRequiredHeader(upstream.headers.get("payment-required")!);
      res.writeHead(412, { "payment-required": encodePaymentRequiredHeader({ ...required, error: "permit2_allowance_required" }), "content-type": "application/json" });
      res.end("{}");
      return;
    }
    res.writeHead(upstream.status, Object.fromEntries([...upstream.headers].filter(([k]) => !["content-encoding", "content-length", "transfer-encoding", "connection"].includes(k))));
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("exact through Permit2 against the official server, on-chain", () => {
  let rig: Rig;
  let p2: RigPermit2;
  let wallet: RigWallet;
  let mcp: McpSession;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let config: Record<string, unknown>;
  const cliEnv = () => ({ ...tempHome().env, X402_PRIVATE_KEY: wallet.privateKey, X402_WALLET_CONFIG: writeConfig(config) });

  beforeAll(async () => {
    rig = await startRig({ permit2: true });
    p2 = rig.permit2!;
    wallet = await rig.newWallet();
    await p2.mintToken(wallet.address, PERMIT2_EXACT_PRICE * 10n);
    proxy = await countingProxy(rig.v2.url);
    config = {
      networks: ["eip155:84532"],
      rpc: { "eip155:84532": rig.rpcUrl },
      hosts: { allowPrivate: true },
      assets: [{ network: "eip155:84532", address: p2.token, symbol: "PLAIN", decimals: 18, usdPerUnit: "1" }],
    };
    mcp = await startMcp({ config, env: { X402_PRIVATE_KEY: wallet.privateKey } });
  });
  afterAll(async () => {
    await mcp?.close();
    await proxy?.close();
    await rig?.stop();
  });

  it("without the approval: PERMIT2_APPROVAL_REQUIRED with the command, and no signature reaches the server", async () => {
    const before = await p2.balanceOf(wallet.address);
    const result = await mcp.call("paid_fetch", { url: `${proxy.url}${PERMIT2_EXACT_PATH}` });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toContain("[PERMIT2_APPROVAL_REQUIRED]");
    expect(text).toContain(`x402-wallet-mcp permit2 approve --network eip155:84532 --token ${getAddress(p2.token)}`);
    expect(text).toContain("Nothing was signed or paid");
    expect(proxy.state.paid).toEqual([]);
    expect(await p2.balanceOf(wallet.address)).toBe(before);
    const history = (await mcp.call("spending_history")).structuredContent as Record<string, any>;
    expect(JSON.stringify(history)).not.toContain(p2.token.toLowerCase().slice(2, 12));
  });

  it("no tool sends the approval: it is the owner's command only", async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.length).toBeGreaterThan(0);
    for (const tool of tools) expect(`${tool.name} ${JSON.stringify(tool.inputSchema)}`).not.toMatch(/approve|permit2/i);
  });

  it("permit2 approve refuses without a terminal and without --yes, and without gas money, sending nothing", async () => {
    const noTty = await runCli(["permit2", "approve", "--network", "eip155:84532", "--token", p2.token], cliEnv());
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toMatch(/no terminal to ask on; run it in a terminal, or pass --yes/);
    const noGas = await runCli(["permit2", "approve", "--network", "eip155:84532", "--token", p2.token, "--yes"], cliEnv());
    expect(noGas.code).toBe(1);
    expect(noGas.stderr).toContain("[INSUFFICIENT_FUNDS]");
    expect(noGas.stderr).toContain("Nothing was sent");
    expect(await p2.allowance(wallet.address, p2.token)).toBe(0n);
  });

  it("permit2 approve --yes sends approve(Permit2, max), shows the gas; then the next call pays exactly the price, verified", async () => {
    await rig.testClient.setBalance({ address: wallet.address, value: parseEther("1") });
    const ethBefore = await rig.publicClient.getBalance({ address: wallet.address });
    const approved = await runCli(["permit2", "approve", "--network", "eip155:84532", "--token", p2.token, "--yes"], cliEnv());
    expect(approved.stderr).toBe("");
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/Gas: \d+ units at most [\d.]+ gwei each: at most [\d.]+ ETH/);
    const tx = /Approved: transaction (0x[0-9a-f]{64})/.exec(approved.stdout)?.[1] as `0x${string}`;
    expect(tx).toBeTruthy();
    const receipt = await rig.publicClient.getTransactionReceipt({ hash: tx });
    expect(receipt.from).toBe(wallet.address.toLowerCase());
    expect(ethBefore - (await rig.publicClient.getBalance({ address: wallet.address }))).toBe(receipt.gasUsed * receipt.effectiveGasPrice);
    expect(await p2.allowance(wallet.address, p2.token)).toBe(maxUint256);

    const before = { payer: await p2.balanceOf(wallet.address), payTo: await p2.balanceOf(rig.payTo) };
    const result = await mcp.call("paid_fetch", { url: `${proxy.url}${PERMIT2_EXACT_PATH}` });
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as Record<string, any>;
    expect(JSON.parse(out.body)).toEqual({ data: "paid through Permit2" });
    expect(out.payment).toMatchObject({ status: "verified", amountAtomic: PERMIT2_EXACT_PRICE.toString(), amount: "0.01", symbol: "PLAIN", payer: wallet.address });
    const after = { payer: await p2.balanceOf(wallet.address), payTo: await p2.balanceOf(rig.payTo) };
    expect(before.payer - after.payer).toBe(PERMIT2_EXACT_PRICE);
    expect(after.payTo - before.payTo).toBe(PERMIT2_EXACT_PRICE);

    expect(proxy.state.paid).toHaveLength(1);
    const sent = JSON.parse(Buffer.from(proxy.state.paid[0]!, "base64").toString("utf8"));
    expect(sent.payload.permit2Authorization).toMatchObject({
      from: wallet.address,
      spender: X402_EXACT_PERMIT2_PROXY,
      permitted: { token: getAddress(p2.token), amount: PERMIT2_EXACT_PRICE.toString() },
      witness: { to: getAddress(rig.payTo), validAfter: "0" },
    });
  });

  it("a server that answers 412 permit2_allowance_required to the payment: PAYMENT_REJECTED, signed once, nothing moves", async () => {
    proxy.state.answer412 = true;
    const paidBefore = proxy.state.paid.length;
    const balance = await p2.balanceOf(wallet.address);
    try {
      // Another URL than the paid one: the pay-once cache would answer that one without paying.
      const result = await mcp.call("paid_fetch", { url: `${proxy.url}${PERMIT2_EXACT_PATH}?again=1` });
      expect(textOf(result)).toContain("[PAYMENT_REJECTED]");
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("permit2_allowance_required");
    } finally {
      proxy.state.answer412 = false;
    }
    expect(proxy.state.paid.length - paidBefore).toBe(1);
    expect(await p2.balanceOf(wallet.address)).toBe(balance);
  });
});
