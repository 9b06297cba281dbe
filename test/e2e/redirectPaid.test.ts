import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOSTILE_KEY } from "../hostile/key.js";
import { USDC_ADDRESS } from "../rig/token.js";
import { startMcp, type McpSession } from "./mcpClient.js";

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  cookie: string | undefined;
  apiKey: string | undefined;
  accept: string | undefined;
  body: string;
  paid: boolean;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Origin A redirects to origin B, which asks for payment. The paid request is the request
 * the probe actually sent to B (method, headers and body after the redirect rules), and the
 * credentials meant for A never reach B, unpaid or paid.
 */
describe("a paid request after a cross-origin redirect", () => {
  let a: Server;
  let b: Server;
  let aUrl: string;
  let bUrl: string;
  const atB: Seen[] = [];
  let mcp: McpSession;

  beforeAll(async () => {
    b = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        const paid = Boolean(req.headers["payment-signature"]);
        atB.push({ method: req.method!, path: req.url!, authorization: req.headers.authorization, cookie: req.headers.cookie, apiKey: req.headers["x-api-key"] as string | undefined, accept: req.headers.accept, body, paid });
        if (paid) return void res.writeHead(200, { "content-type": "text/plain" }).end("B's paid content");
        const accepts = [
          { scheme: "exact", network: "eip155:84532", amount: "10000", asset: USDC_ADDRESS, payTo: "0x2222222222222222222222222222222222222222", maxTimeoutSeconds: 60, extra: { name: "USDC", version: "2" } },
        ];
        const header = Buffer.from(JSON.stringify({ x402Version: 2, resource: { url: `${bUrl}${req.url}` }, accepts })).toString("base64");
        res.writeHead(402, { "PAYMENT-REQUIRED": header, "content-type": "application/json" }).end("{}");
      });
    });
    bUrl = await listen(b);
    a = createServer((req, res) => {
      req.resume();
      const status = Number((req.url ?? "").split("/")[2]);
      res.writeHead(status, { location: `${bUrl}/paid/${status}` }).end();
    });
    aUrl = await listen(a);
    mcp = await startMcp({
      config: { networks: ["eip155:84532"], rpc: { "eip155:84532": "http://127.0.0.1:1" }, hosts: { allowPrivate: true }, verifySettlement: false },
      env: { X402_PRIVATE_KEY: HOSTILE_KEY },
    });
  });
  afterAll(async () => {
    await mcp?.close();
    for (const server of [a, b]) {
      server?.closeAllConnections();
      server?.close();
    }
  });

  it.each([
    [302, "GET", ""],
    [303, "GET", ""],
    [307, "POST", "A's body"],
    [308, "POST", "A's body"],
  ])("after a %i: B gets one probe and one paid %s, the same request, without A's credentials (any header that could hold one)", async (status, method, body) => {
    atB.length = 0;
    const result = await mcp.call("paid_fetch", {
      url: `${aUrl}/r/${status}`,
      method: "POST",
      headers: { authorization: "Bearer meant-for-A", cookie: "session=A", "x-api-key": "key-for-A", accept: "text/plain", "content-type": "text/plain" },
      body: "A's body",
    });
    expect(result.structuredContent).toMatchObject({ body: "B's paid content", url: `${bUrl}/paid/${status}` });
    const probe = { method, path: `/paid/${status}`, authorization: undefined, cookie: undefined, apiKey: undefined, accept: "text/plain", body };
    expect(atB).toEqual([
      { ...probe, paid: false },
      { ...probe, paid: true },
    ]);
  });
});
