import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSolanaRig, type SolanaRig, type SolanaRigWallet } from "../rig/solana/index.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";
import { signatureTap } from "./signatureTap.js";

const DEVNET = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1";
const BASE58_SIGNATURE = /^[1-9A-HJ-NP-Za-km-z]{64,88}$/;

/**
 * The wallet pays Solana through MCP: the rig's LiteSVM behind its JSON-RPC, the official
 * @x402/svm facilitator and @x402/express server. Balances are read from the rig's chain.
 */
describe("Solana: exact/SVM over x402 v2 against the official facilitator", () => {
  let rig: SolanaRig;
  let wallet: SolanaRigWallet;
  let tap: Awaited<ReturnType<typeof signatureTap>>;
  let mcp: McpSession;
  const servers: Server[] = [];
  const ledger = join(mkdtempSync(join(tmpdir(), "x402-solana-")), "ledger.jsonl");

  beforeAll(async () => {
    rig = await startSolanaRig();
    wallet = await rig.newWallet(1_000_000n);
    tap = await signatureTap(rig.v2.url);
    mcp = await startMcp({
      config: { networks: [DEVNET], rpc: { [DEVNET]: rig.rpcUrl }, hosts: { allowPrivate: true }, ledger },
      env: { X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 },
    });
  }, 60_000);
  afterAll(async () => {
    await mcp?.close();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await tap?.close();
    await rig?.stop();
  });

  const balances = async () => ({ payer: await rig.usdcBalanceOf(wallet.address), payTo: await rig.usdcBalanceOf(rig.payTo) });

  it("pays a GET: exactly 10000 USDC units from the wallet to payTo, the receipt verified with its base58 signature and explorer link", async () => {
    const before = await balances();
    const result = await mcp.call("paid_fetch", { url: `${tap.url}/paid` });
    expect(result.isError, textOf(result) + mcp.stderr()).toBeFalsy();
    const out = result.structuredContent as Record<string, any>;
    expect(JSON.parse(out.body)).toMatchObject({ data: "paid content" });
    expect(out.payment).toMatchObject({
      status: "verified",
      network: DEVNET,
      asset: rig.usdc,
      symbol: "USDC",
      amountAtomic: "10000",
      payer: wallet.address,
      payTo: rig.payTo,
    });
    expect(out.payment.transaction).toMatch(BASE58_SIGNATURE);
    expect(out.payment.explorerUrl).toBe(`https://explorer.solana.com/tx/${out.payment.transaction}?cluster=devnet`);
    const after = await balances();
    // The transaction could land until its blockhash expired: that block height was on the ledger with its signature.
    const signLine = readFileSync(ledger, "utf8").trim().split("\n").map((l) => JSON.parse(l)).find((e) => e.type === "sign");
    expect(signLine).toMatchObject({ payer: wallet.address, nonce: expect.stringMatching(BASE58_SIGNATURE), lastValidBlockHeight: expect.stringMatching(/^\d+$/) });
    expect(BigInt(signLine.lastValidBlockHeight)).toBeGreaterThan(0n);
    expect(before.payer - after.payer).toBe(10_000n);
    expect(after.payTo - before.payTo).toBe(10_000n);
    // The wallet holds no SOL and paid no fee: the facilitator's fee payer did.
    expect(rig.lamportsOf(wallet.address)).toBe(0n);
    expect(tap.signatures).toHaveLength(1);
    const sent = JSON.parse(Buffer.from(tap.signatures[0]!, "base64").toString("utf8"));
    expect(sent).toMatchObject({ x402Version: 2, accepted: { network: DEVNET, extra: { feePayer: rig.feePayer } } });
    expect(typeof sent.payload.transaction).toBe("string");
  });

  it("pays a POST with its body: 20000 units, verified", async () => {
    const before = await balances();
    const result = await mcp.call("paid_fetch", {
      url: `${rig.v2.url}/paid-post`,
      method: "POST",
      body: JSON.stringify({ hello: "solana" }),
      headers: { "content-type": "application/json" },
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    const out = result.structuredContent as Record<string, any>;
    expect(JSON.parse(out.body)).toEqual({ received: { hello: "solana" } });
    expect(out.payment, JSON.stringify(out.payment)).toMatchObject({ status: "verified", amountAtomic: "20000", network: DEVNET });
    const after = await balances();
    expect(before.payer - after.payer).toBe(20_000n);
    expect(after.payTo - before.payTo).toBe(20_000n);
  });

  /** A server answering every request with the rig's 402 for /paid, changed by `edit`; counts the paid retries. */
  const hostile = async (edit: (option: Record<string, any>) => void) => {
    const real = await fetch(`${rig.v2.url}/paid`);
    const required = JSON.parse(Buffer.from(real.headers.get("payment-required")!, "base64").toString("utf8"));
    for (const option of required.accepts) edit(option);
    const header = Buffer.from(JSON.stringify(required)).toString("base64");
    const paidAttempts: string[] = [];
    const server = createServer((req, res) => {
      const signature = req.headers["payment-signature"];
      if (typeof signature === "string") paidAttempts.push(signature);
      res.writeHead(402, { "payment-required": header, "content-type": "application/json" }).end("{}");
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/paid`, paidAttempts };
  };

  it("refuses a 402 naming the wallet itself as fee payer: nothing signed, nothing spent", async () => {
    const server = await hostile((option) => void (option.extra.feePayer = wallet.address));
    const before = await balances();
    const result = await mcp.call("paid_fetch", { url: server.url });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("NO_ACCEPTABLE_PAYMENT_OPTION");
    expect(textOf(result)).toContain("fee payer");
    expect(server.paidAttempts).toEqual([]);
    expect(await balances()).toEqual(before);
    const history = await mcp.call("spending_history", {});
    expect(JSON.stringify(history.structuredContent)).not.toContain(server.url);
  });

  it("refuses a payTo without a USDC token account: the service could not receive it", async () => {
    const stranger = await rig.newWallet();
    const server = await hostile((option) => void (option.payTo = stranger.address));
    const result = await mcp.call("paid_fetch", { url: server.url });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("has no token account");
    expect(server.paidAttempts).toEqual([]);
  });

  it("refuses a 402 without extra.feePayer", async () => {
    const server = await hostile((option) => void delete option.extra.feePayer);
    const result = await mcp.call("paid_fetch", { url: server.url });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("extra.feePayer is missing");
    expect(server.paidAttempts).toEqual([]);
  });

  it("wallet_balance shows the Solana address and its devnet USDC, read on the rig", async () => {
    const result = await mcp.call("wallet_balance");
    expect(result.isError, textOf(result)).toBeFalsy();
    const out = result.structuredContent as Record<string, any>;
    expect(out.address).toBe(wallet.address);
    const atomic = await rig.usdcBalanceOf(wallet.address);
    expect(out.balances).toEqual([
      expect.objectContaining({ network: DEVNET, address: wallet.address, symbol: "USDC", asset: rig.usdc, balanceAtomic: atomic.toString(), error: null }),
    ]);
    expect(textOf(result)).toContain(`Solana Devnet (${DEVNET}): `);
  });

  it("never shows the key", () => {
    expect(mcp.transcript()).not.toContain(wallet.secretKeyBase58);
    expect(mcp.stderr()).not.toContain(wallet.secretKeyBase58);
  });
});
