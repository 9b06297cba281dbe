import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RoutesConfig } from "@x402/core/server";
import { ExactEvmScheme } from "@x402/evm/exact/server";
import { paymentMiddlewareFromHTTPServer, x402HTTPResourceServer, x402ResourceServer } from "@x402/express";
import {
  declarePaymentIdentifierExtension,
  extractPaymentIdentifier,
  PAYMENT_IDENTIFIER,
  paymentIdentifierResourceServerExtension,
} from "@x402/extensions/payment-identifier";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { parseAbiItem, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignerClient } from "../rig/chain.js";
import { createFacilitatorV2 } from "../rig/facilitatorV2.js";
import { NETWORK_V2, startRig, type Rig, type RigWallet } from "../rig/index.js";
import { buildResourceApp, listenLocal, offlinePaywallHtml, type Listening } from "../rig/routes.js";
import { SERVER_ENTRY, startMcp, textOf, writeConfig, type McpSession } from "./mcpClient.js";

const PRICE_ATOMIC = 10_000n;
const TRANSFER = parseAbiItem("event Transfer(address indexed from, address indexed to, uint256 value)");

/**
 * payment-identifier on the official @x402/express server (its declaration from
 * @x402/extensions), settled by the official facilitator on anvil, behind a loopback proxy
 * that loses the answer to a paid request. The server deduplicates as the spec's "Recovering
 * a Lost Response" says a seller does: by id, bound to the exact payment header, looked up
 * before verification, the answer stored with its PAYMENT-RESPONSE header.
 */
describe("payment-identifier: a lost paid answer is fetched again, never paid twice", () => {
  let rig: Rig;
  let server: Listening;
  let mcp: McpSession;
  let wallet: RigWallet;
  let configPath: string;
  const seenIds: string[] = [];

  beforeAll(async () => {
    rig = await startRig({ routes: [] });
    // A facilitator account of its own: sharing the rig's would race its nonce manager.
    const account = privateKeyToAccount(generatePrivateKey());
    await rig.testClient.setBalance({ address: account.address, value: 10n ** 18n });
    const facilitator = createFacilitatorV2(createSignerClient(rig.rpcUrl, rig.chain, account)).client;
    const resourceServer = new x402ResourceServer(facilitator).register(NETWORK_V2, new ExactEvmScheme());
    resourceServer.registerExtension(paymentIdentifierResourceServerExtension);
    const route = (withId: boolean) => ({
      accepts: { scheme: "exact", price: "$0.01", network: NETWORK_V2, payTo: rig.payTo },
      description: "",
      mimeType: "application/json",
      ...(withId ? { extensions: { [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension() } } : {}),
    });
    const routesConfig: RoutesConfig = { "GET /with-id/*": route(true), "GET /plain/*": route(false) };
    const httpServer = new x402HTTPResourceServer(resourceServer, routesConfig);
    await httpServer.initialize();
    const x402 = paymentMiddlewareFromHTTPServer(httpServer, undefined, { generateHtml: (required) => offlinePaywallHtml(required) }, false);
    const routes = ["/with-id/:name", "/plain/:name"].map((path) => ({
      method: "GET" as const,
      path,
      respond: (req: Request, res: Response) => void res.json({ data: `content of ${req.path}` }),
    }));
    server = await listenLocal(buildResourceApp({ routes, version: 2, latency: { ms: 0 }, payment: deduplicating(x402, seenIds) }));
    wallet = await rig.newWallet(1_000_000n);
    const ledger = join(mkdtempSync(join(tmpdir(), "payment-id-")), "ledger.jsonl");
    const config = { networks: [NETWORK_V2], rpc: { [NETWORK_V2]: rig.rpcUrl }, hosts: { allowPrivate: true }, ledger };
    mcp = await startMcp({ config, env: { X402_PRIVATE_KEY: wallet.privateKey } });
    // The receipts command reads the server's ledger through a config of its own.
    configPath = writeConfig(config);
  }, 120_000);
  afterAll(async () => {
    await mcp?.close();
    await server?.close();
    await rig?.stop();
  });

  /** Transfers of USDC out of the wallet, read from the chain's logs. */
  async function transfersFrom(address: Address): Promise<number> {
    const logs = await rig.publicClient.getLogs({ address: rig.usdc, event: TRANSFER, args: { from: address }, fromBlock: 0n });
    return logs.length;
  }

  it("resends the same header after the connection drops, gets the content, and the chain shows exactly one transfer", async () => {
    const proxy = await startProxy(server.url, (n) => (n === 1 ? "forward-then-drop" : "forward"));
    try {
      const [before, transfersBefore] = await Promise.all([rig.balanceOf(wallet.address), transfersFrom(wallet.address)]);
      const progress: string[] = [];
      const result = await mcp.client.callTool({ name: "paid_fetch", arguments: { url: `${proxy.url}/with-id/dropped` } }, undefined, {
        onprogress: (p) => void progress.push(p.message ?? ""),
      });
      expect(result.isError).toBeFalsy();
      const out = result.structuredContent as Record<string, any>;
      expect(JSON.parse(out.body)).toEqual({ data: "content of /with-id/dropped" });
      expect(out.payment).toMatchObject({ status: "verified", resent: 1, paymentId: expect.stringMatching(/^pay_[0-9a-f]{32}$/) });
      expect(out.payment.note).toMatch(/resent: 1/);
      // The proxy saw two paid requests carrying one header, byte for byte.
      expect(proxy.paid).toHaveLength(2);
      expect(proxy.paid[1]).toBe(proxy.paid[0]);
      expect(seenIds.at(-1)).toBe(out.payment.paymentId);
      expect(progress).toContainEqual(expect.stringMatching(/answer was lost \([A-Z_]+\); resending the same payment header \(resend 1 of 2, payment-identifier pay_/));
      // Exactly one transfer on-chain, of exactly the price.
      expect(await transfersFrom(wallet.address)).toBe(transfersBefore + 1);
      expect(before - (await rig.balanceOf(wallet.address))).toBe(PRICE_ATOMIC);

      const history = (await mcp.call("spending_history", { limit: 1 })).structuredContent as Record<string, any>;
      expect(history.receipts[0]).toMatchObject({ paymentId: out.payment.paymentId, resent: 1, status: "verified" });
      const cli = JSON.parse(execFileSync(process.execPath, [SERVER_ENTRY, "receipts", "--json", "--limit", "1", "--config", configPath], { encoding: "utf8" }));
      expect(cli.receipts[0]).toMatchObject({ paymentId: out.payment.paymentId, resent: 1 });
    } finally {
      await proxy.close();
    }
  });

  it("resends after a 5xx without PAYMENT-RESPONSE from the proxy, and pays once", async () => {
    const proxy = await startProxy(server.url, (n) => (n === 1 ? "forward-then-502" : "forward"));
    try {
      const [before, transfersBefore] = await Promise.all([rig.balanceOf(wallet.address), transfersFrom(wallet.address)]);
      const out = (await mcp.call("paid_fetch", { url: `${proxy.url}/with-id/gateway` })).structuredContent as Record<string, any>;
      expect(out.status).toBe(200);
      expect(out.payment).toMatchObject({ status: "verified", resent: 1 });
      expect(proxy.paid).toHaveLength(2);
      expect(await transfersFrom(wallet.address)).toBe(transfersBefore + 1);
      expect(before - (await rig.balanceOf(wallet.address))).toBe(PRICE_ATOMIC);
    } finally {
      await proxy.close();
    }
  });

  it("a 409 stops the call with PAYMENT_REJECTED and nothing more is sent", async () => {
    const proxy = await startProxy(server.url, (n) => (n === 1 ? "forward-then-drop" : "409"));
    try {
      const transfersBefore = await transfersFrom(wallet.address);
      const result = await mcp.call("paid_fetch", { url: `${proxy.url}/with-id/conflict` });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^\[PAYMENT_REJECTED\] /);
      // Still nothing more after a moment: the 409 ended it.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(proxy.paid).toHaveLength(2);
      // The first, forwarded before the drop, was settled: one transfer, no second.
      expect(await transfersFrom(wallet.address)).toBe(transfersBefore + 1);
    } finally {
      await proxy.close();
    }
  });

  it("without the extension nothing is resent: the call ends unconfirmed and says why", async () => {
    const proxy = await startProxy(server.url, (n) => (n === 1 ? "forward-then-drop" : "forward"));
    try {
      const transfersBefore = await transfersFrom(wallet.address);
      const result = await mcp.call("paid_fetch", { url: `${proxy.url}/plain/dropped` });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^\[HTTP_ERROR\] .*not resent/s);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(proxy.paid).toHaveLength(1);
      expect(await transfersFrom(wallet.address)).toBe(transfersBefore + 1);
      const history = (await mcp.call("spending_history", { limit: 1 })).structuredContent as Record<string, any>;
      expect(history.receipts[0].status).toBe("unconfirmed");
      expect(history.receipts[0].note).toMatch(/not resent: the server does not offer payment-identifier/);
      expect(history.receipts[0].paymentId).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });
});

/**
 * The seller's side of the spec: a paid request whose payment-identifier was answered before
 * gets that answer again (status, headers with PAYMENT-RESPONSE, body) without being verified
 * or settled again; the same id with another payment header is a 409.
 */
function deduplicating(x402: RequestHandler, seenIds: string[]): RequestHandler {
  const answers = new Map<string, { header: string; status?: number; headers?: Record<string, unknown>; body?: Buffer }>();
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.header("payment-signature");
    const id = header ? extractPaymentIdentifier(JSON.parse(Buffer.from(header, "base64").toString("utf8"))) : null;
    if (!header || !id) return void x402(req, res, next);
    seenIds.push(id);
    const known = answers.get(id);
    if (known && known.header !== header) return void res.status(409).json({ error: "payment-identifier reused with another payment" });
    if (known?.body) {
      res.writeHead(known.status!, known.headers as Record<string, string>);
      return void res.end(known.body);
    }
    const entry: { header: string; status?: number; headers?: Record<string, unknown>; body?: Buffer } = { header };
    answers.set(id, entry);
    const chunks: Buffer[] = [];
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (chunk) chunks.push(Buffer.from(chunk as string));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (chunk && typeof chunk !== "function") chunks.push(Buffer.from(chunk as string));
      if (res.statusCode < 400) Object.assign(entry, { status: res.statusCode, headers: res.getHeaders(), body: Buffer.concat(chunks) });
      else answers.delete(id);
      return (end as (...args: unknown[]) => Response)(chunk, ...rest);
    }) as typeof res.end;
    x402(req, res, next);
  };
}

type ProxyMove = "forward" | "forward-then-drop" | "forward-then-502" | "409";

interface Proxy {
  url: string;
  /** The PAYMENT-SIGNATURE header of each paid request that reached the proxy, in order. */
  paid: string[];
  close(): Promise<void>;
}

/**
 * A loopback proxy in front of the server; `move(n)` says what it does with the n-th paid
 * request: pass it on, pass it on and drop the connection once the server has answered (the
 * answer is lost), pass it on and answer 502 itself, or answer 409 without passing it on.
 */
async function startProxy(upstream: string, move: (n: number) => ProxyMove): Promise<Proxy> {
  const paid: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const header = req.headers["payment-signature"];
    const step: ProxyMove = typeof header === "string" ? (paid.push(header), move(paid.length)) : "forward";
    if (step === "409") return void res.writeHead(409, { "content-type": "application/json" }).end('{"error":"conflict"}');
    const out = httpRequest(new URL(req.url ?? "/", upstream), { method: req.method, headers: req.headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => chunks.push(chunk));
      answer.on("end", () => {
        if (step === "forward-then-drop") return void req.socket.destroy();
        if (step === "forward-then-502") return void res.writeHead(502, { "content-type": "text/plain" }).end("bad gateway");
        res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(chunks));
      });
    });
    out.on("error", () => req.socket.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    paid,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
