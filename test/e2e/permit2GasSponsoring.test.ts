import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeFunctionData, getAddress, parseAbi, recoverTypedDataAddress, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PERMIT2, PERMIT2_EXACT_PRICE, X402_EXACT_PERMIT2_PROXY, USDC_ADDRESS, startRig, type Rig, type RigPermit2, type RigWallet } from "../rig/index.js";
import { PERMIT2_SPONSORED_PATH, PERMIT2_SPONSORED_PLAIN_PATH, PERMIT2_USDC_PATH, PERMIT2_USDC_PRICE } from "../rig/permit2Routes.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";

const eip2612Abi = parseAbi(["function nonces(address owner) view returns (uint256)"]);
const settleWithPermitAbi = parseAbi([
  "struct TokenPermissions { address token; uint256 amount; }",
  "struct PermitTransferFrom { TokenPermissions permitted; uint256 nonce; uint256 deadline; }",
  "struct Witness { address to; uint256 validAfter; }",
  "struct EIP2612Permit { uint256 value; uint256 deadline; bytes32 r; bytes32 s; uint8 v; }",
  "function settle(PermitTransferFrom permit, address owner, Witness witness, bytes signature)",
  "function settleWithPermit(EIP2612Permit permit2612, PermitTransferFrom permit, address owner, Witness witness, bytes signature)",
]);

/** The rig's v2 server behind a loopback proxy that keeps every payment header reaching it. */
async function recordingProxy(target: string) {
  const paid: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === "string" && e[0] !== "host"));
    if (headers["payment-signature"]) paid.push(headers["payment-signature"]);
    const upstream = await fetch(`${target}${req.url}`, { method: req.method, headers });
    const body = Buffer.from(await upstream.arrayBuffer());
    res.writeHead(upstream.status, Object.fromEntries([...upstream.headers].filter(([k]) => !["content-encoding", "content-length", "transfer-encoding", "connection"].includes(k))));
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { paid, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("exact through Permit2 with eip2612GasSponsoring, against the official server and facilitator, on-chain", () => {
  let rig: Rig;
  let p2: RigPermit2;
  let wallet: RigWallet;
  let mcp: McpSession;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  const usdc = (owner: string) => rig.publicClient.readContract({ address: USDC_ADDRESS, abi: eip2612Abi, functionName: "nonces", args: [getAddress(owner)] });

  beforeAll(async () => {
    rig = await startRig({ permit2: true });
    p2 = rig.permit2!;
    // 1 USDC and some of the plain token; no ETH and no approval of Permit2, ever.
    wallet = await rig.newWallet(1_000_000n);
    await p2.mintToken(wallet.address, PERMIT2_EXACT_PRICE * 10n);
    proxy = await recordingProxy(rig.v2.url);
    mcp = await startMcp({
      config: {
        networks: ["eip155:84532"],
        rpc: { "eip155:84532": rig.rpcUrl },
        hosts: { allowPrivate: true },
        assets: [{ network: "eip155:84532", address: p2.token, symbol: "PLAIN", decimals: 18, usdPerUnit: "1" }],
      },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
    });
  });
  afterAll(async () => {
    await mcp?.close();
    await proxy?.close();
    await rig?.stop();
  });

  it("without the extension, the same wallet and token: PERMIT2_APPROVAL_REQUIRED, nothing signed", async () => {
    const result = await mcp.call("paid_fetch", { url: `${proxy.url}${PERMIT2_USDC_PATH}` });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toContain("[PERMIT2_APPROVAL_REQUIRED]");
    expect(text).toContain(`x402-wallet-mcp permit2 approve --network eip155:84532 --token ${USDC_ADDRESS}`);
    expect(text).not.toContain("eip2612GasSponsoring");
    expect(proxy.paid).toEqual([]);
    expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n);
  });

  it("the extension on a token with no EIP-2612 (no domain on record): PERMIT2_APPROVAL_REQUIRED saying why, nothing signed", async () => {
    const result = await mcp.call("paid_fetch", { url: `${proxy.url}${PERMIT2_SPONSORED_PLAIN_PATH}` });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toContain("[PERMIT2_APPROVAL_REQUIRED]");
    expect(text).toContain("gasless approval (eip2612GasSponsoring)");
    expect(text).toContain("PLAIN has no EIP-712 domain on record");
    expect(proxy.paid).toEqual([]);
    expect(await p2.balanceOf(wallet.address)).toBe(PERMIT2_EXACT_PRICE * 10n);
  });

  it("with the extension: one paid request, an EIP-2612 permit of exactly the price for Permit2, settled by settleWithPermit; exactly the price moves, no allowance is left", async () => {
    expect(await p2.allowance(wallet.address, USDC_ADDRESS)).toBe(0n);
    const nonceBefore = await usdc(wallet.address);
    const before = { payer: await rig.balanceOf(wallet.address), payTo: await rig.balanceOf(rig.payTo) };

    const result = await mcp.call("paid_fetch", { url: `${proxy.url}${PERMIT2_SPONSORED_PATH}` });
    expect(textOf(result)).not.toContain("[");
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as Record<string, any>;
    expect(JSON.parse(out.body)).toEqual({ data: "paid through Permit2, approved by permit" });
    expect(out.payment).toMatchObject({ status: "verified", amountAtomic: PERMIT2_USDC_PRICE.toString(), symbol: "USDC", payer: wallet.address });

    const after = { payer: await rig.balanceOf(wallet.address), payTo: await rig.balanceOf(rig.payTo) };
    expect(before.payer - after.payer).toBe(PERMIT2_USDC_PRICE);
    expect(after.payTo - before.payTo).toBe(PERMIT2_USDC_PRICE);
    // The permit approved exactly the price and Permit2 moved exactly that: nothing stays approved.
    expect(await p2.allowance(wallet.address, USDC_ADDRESS)).toBe(0n);
    expect(await usdc(wallet.address)).toBe(nonceBefore + 1n);
    expect(await rig.publicClient.getBalance({ address: wallet.address })).toBe(0n);

    expect(proxy.paid).toHaveLength(1);
    const sent = JSON.parse(Buffer.from(proxy.paid[0]!, "base64").toString("utf8"));
    const auth = sent.payload.permit2Authorization;
    expect(auth).toMatchObject({ from: wallet.address, spender: X402_EXACT_PERMIT2_PROXY, permitted: { token: USDC_ADDRESS, amount: PERMIT2_USDC_PRICE.toString() } });
    const info = sent.extensions.eip2612GasSponsoring.info;
    expect(info).toMatchObject({
      from: wallet.address,
      asset: USDC_ADDRESS,
      spender: PERMIT2,
      amount: PERMIT2_USDC_PRICE.toString(),
      nonce: nonceBefore.toString(),
      deadline: auth.deadline,
      version: "1",
    });
    const owner = await recoverTypedDataAddress({
      domain: { name: "USDC", version: "2", chainId: rig.chainId, verifyingContract: USDC_ADDRESS },
      types: { Permit: [{ name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" }, { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" }] },
      primaryType: "Permit",
      message: { owner: wallet.address, spender: PERMIT2, value: PERMIT2_USDC_PRICE, nonce: nonceBefore, deadline: BigInt(info.deadline) },
      signature: info.signature as Hex,
    });
    expect(owner).toBe(wallet.address);

    // The facilitator took the gasless path: its transaction is settleWithPermit on x402's exact proxy.
    const tx = await rig.publicClient.getTransaction({ hash: out.payment.transaction });
    expect(getAddress(tx.to!)).toBe(X402_EXACT_PERMIT2_PROXY);
    const call = decodeFunctionData({ abi: settleWithPermitAbi, data: tx.input });
    expect(call.functionName).toBe("settleWithPermit");
    expect((call.args[0] as { value: bigint }).value).toBe(PERMIT2_USDC_PRICE);

    // One payment on the ledger (the two refusals above left none), the one just made.
    const history = (await mcp.call("spending_history")).structuredContent as Record<string, any>;
    expect(history.receipts).toHaveLength(1);
    expect(history.receipts[0]).toMatchObject({ transaction: out.payment.transaction, status: "verified" });
  });
});
