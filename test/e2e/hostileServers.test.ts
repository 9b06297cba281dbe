import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replayFirstSettlement, startHostileServer, type HostileServer, type PaymentV2 } from "../hostile/hostileServer.js";
import { startRig, type Rig } from "../rig/index.js";
import { startRelayer } from "../rig/relayer.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";

const PAY_TO = "0x2222222222222222222222222222222222222222";

/** Hand-made misbehaving x402 servers: each case must sign at most what it says, and explain itself. */
describe("misbehaving servers", () => {
  let rig: Rig;
  let server: Server;
  let base: string;
  let mcp: McpSession;
  let wallet: { privateKey: `0x${string}`; address: `0x${string}` };
  let replaying: HostileServer;
  let replayed: PaymentV2[];
  const paymentHeaders: Record<string, number> = {};

  const requirement = (overrides: Record<string, unknown> = {}) => ({
    scheme: "exact",
    network: "eip155:84532",
    amount: "10000",
    asset: rig.usdc,
    payTo: PAY_TO,
    maxTimeoutSeconds: 60,
    extra: { name: "USDC", version: "2" },
    ...overrides,
  });
  const v2Header = (accepts: unknown[], error?: string) =>
    Buffer.from(JSON.stringify({ x402Version: 2, error, resource: { url: `${base}/x` }, accepts })).toString("base64");

  function countPayment(req: IncomingMessage): void {
    const path = req.url ?? "";
    if (req.headers["payment-signature"] || req.headers["x-payment"]) paymentHeaders[path] = (paymentHeaders[path] ?? 0) + 1;
  }

  beforeAll(async () => {
    rig = await startRig();
    wallet = await rig.newWallet(1_000_000n);
    server = createServer((req, res) => {
      countPayment(req);
      switch (req.url) {
        case "/again": {
          const paid = Boolean(req.headers["payment-signature"]);
          res.writeHead(402, { "PAYMENT-REQUIRED": v2Header([requirement()], paid ? "insufficient_funds: nice try" : undefined) });
          return res.end("{}");
        }
        case "/again-v1": {
          res.writeHead(402, { "content-type": "application/json" });
          const error = req.headers["x-payment"] ? "invalid_exact_evm_payload_signature" : undefined;
          const accepts = [{ ...requirement({ network: "base-sepolia" }), maxAmountRequired: "10000", amount: undefined }];
          return res.end(JSON.stringify({ x402Version: 1, error, accepts }));
        }
        case "/malformed":
          res.writeHead(402, { "PAYMENT-REQUIRED": "this is *not* base64" });
          return res.end();
        case "/unknown-asset":
          res.writeHead(402, { "PAYMENT-REQUIRED": v2Header([requirement({ asset: "0x00000000000000000000000000000000DeaDBeef" })]) });
          return res.end();
        case "/plain-402":
          res.writeHead(402, { "content-type": "text/html" });
          return res.end("<h1>Payment Required</h1>");
        default:
          res.writeHead(404);
          return res.end("not found");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const replay = replayFirstSettlement([requirement()], await startRelayer(rig));
    replayed = replay.received;
    replaying = await startHostileServer({ "/replay": replay.handler });
    mcp = await startMcp({
      config: { networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, hosts: { allowPrivate: true } },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
    });
  });
  afterAll(async () => {
    await mcp?.close();
    server?.close();
    await replaying?.close();
    await rig?.stop();
  });

  it.each(["/again", "/again-v1"])("answers a 402 after payment (%s) with PAYMENT_REJECTED after exactly one signature", async (path) => {
    const result = await mcp.call("paid_fetch", { url: `${base}${path}` });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^\[PAYMENT_REJECTED\] .*asked for payment again.*(nice try|invalid_exact_evm_payload_signature).*not paid a second time/);
    expect(paymentHeaders[path]).toBe(1);
  });

  it("counts a rejected payment's signed authorization against the session budget", async () => {
    const out = (await mcp.call("wallet_balance")).structuredContent as Record<string, any>;
    expect(out.budget.session.spent).toBe("0.02");
  });

  it("marks a payment answered with an earlier payment's real transaction as a mismatch, not verified", async () => {
    // Distinct URLs, so the second call pays instead of reading the first from the pay-once cache.
    const first = (await mcp.call("paid_fetch", { url: `${replaying.url}/replay?call=1` })).structuredContent as any;
    expect(first.payment.status).toBe("verified");
    const second = await mcp.call("paid_fetch", { url: `${replaying.url}/replay?call=2` });
    const out = second.structuredContent as any;
    expect(out.body).toBe("content");
    expect(out.payment.transaction).toBe(first.payment.transaction);
    expect(out.payment.status).toBe("mismatch");
    const [settled, ours] = replayed.map((p) => p.payload.authorization.nonce);
    expect(out.payment.note).toBe(
      `transaction ${first.payment.transaction} settles another authorization of ${wallet.address} (nonce ${settled}), not this payment's (nonce ${ours})`,
    );
    expect(textOf(second)).toMatch(/^content\n\nWARNING: /);
  });

  it.each([
    ["/malformed", /^\[INVALID_PAYMENT_REQUIRED\] .*PAYMENT-REQUIRED header is unreadable: it is not base64/],
    ["/plain-402", /^\[INVALID_PAYMENT_REQUIRED\] .*no PAYMENT-REQUIRED header/],
    ["/unknown-asset", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*0x00000000000000000000000000000000DeaDBeef is not a known token on eip155:84532/],
  ])("refuses %s and sends no payment", async (path, message) => {
    const result = await mcp.call("paid_fetch", { url: `${base}${path}` });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(message);
    expect(paymentHeaders[path]).toBeUndefined();
  });

  it("refuses with INSUFFICIENT_FUNDS before signing when the wallet is empty", async () => {
    const empty = await rig.newWallet(0n);
    const poor = await startMcp({
      config: { networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, hosts: { allowPrivate: true } },
      env: { X402_PRIVATE_KEY: empty.privateKey },
    });
    try {
      const result = await poor.call("paid_fetch", { url: `${rig.v2.url}/paid` });
      expect(textOf(result)).toMatch(new RegExp(`^\\[INSUFFICIENT_FUNDS\\] .*costs 0\\.01 USDC on Base Sepolia, but the wallet ${empty.address} holds 0\\.00 USDC`));
    } finally {
      await poor.close();
    }
  });

  it("starts without a key and explains how to set one", async () => {
    const keyless = await startMcp({
      config: { networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, hosts: { allowPrivate: true } },
    });
    try {
      const paid = await keyless.call("paid_fetch", { url: `${rig.v2.url}/paid` });
      expect(textOf(paid)).toMatch(/^\[NO_WALLET\] .*Set X402_PRIVATE_KEY/);
      const free = await keyless.call("paid_fetch", { url: `${rig.v2.url}/free` });
      expect((free.structuredContent as any).body).toBe("free content");
      expect(textOf(await keyless.call("wallet_balance"))).toMatch(/^\[NO_WALLET\]/);
    } finally {
      await keyless.close();
    }
  });

  it("refuses loopback URLs unless hosts.allowPrivate is set", async () => {
    const strict = await startMcp({ config: { networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl } } });
    try {
      const result = await strict.call("paid_fetch", { url: `${base}/again` });
      expect(textOf(result)).toMatch(/^\[PRIVATE_ADDRESS_BLOCKED\] .*hosts\.allowPrivate/);
      const byName = await strict.call("paid_fetch", { url: `${base.replace("127.0.0.1", "localhost")}/again` });
      expect(textOf(byName)).toMatch(/^\[PRIVATE_ADDRESS_BLOCKED\]/);
    } finally {
      await strict.close();
    }
  });
});
