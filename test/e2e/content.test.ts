import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LoggingMessageNotificationSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ROUTES, startRig, type Rig } from "../rig/index.js";
import { startHostileServer, type HostileServer } from "../hostile/hostileServer.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";

const ARTICLE = readFileSync(join(import.meta.dirname, "../content/fixtures/article.html"), "utf8");
const LONG_TEXT = Array.from({ length: 400 }, (_, i) => `Line ${i}: the quick brown fox pays for the lazy dog.`).join("\n");
// A 1×1 PNG.
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
const ZIP = Buffer.concat([Buffer.from("PK\x03\x04"), Buffer.alloc(2000, 7)]);

/** What the agent reads: markdown, pages, images, binary, and the client experience around a paid call. */
describe("content and client experience", () => {
  let rig: Rig;
  let bazaar: HostileServer;
  let mcp: McpSession;
  let wallet: { privateKey: `0x${string}`; address: `0x${string}` };
  const downloads = mkdtempSync(join(tmpdir(), "x402-downloads-"));
  const logs: { level: string; data: unknown }[] = [];

  beforeAll(async () => {
    rig = await startRig({
      routes: [
        ...DEFAULT_ROUTES,
        { method: "GET", path: "/article", price: "$0.01", respond: (_req, res) => void res.type("text/html").send(ARTICLE) },
        { method: "GET", path: "/long", price: "$0.01", respond: (_req, res) => void res.type("text/plain").send(LONG_TEXT) },
        { method: "GET", path: "/image", price: "$0.01", respond: (_req, res) => void res.type("image/png").send(PNG) },
        { method: "GET", path: "/archive", price: "$0.01", respond: (_req, res) => void res.type("application/zip").send(ZIP) },
        { method: "GET", path: "/slow", price: "$0.01", respond: (_req, res) => void res.json({ ok: true }) },
      ],
    });
    bazaar = await startHostileServer({
      "/discovery/resources": (_req, res) =>
        res.writeHead(200, { "content-type": "application/json" }).end(
          JSON.stringify({
            x402Version: 2,
            items: [
              {
                resource: `${rig.v2.url}/paid`,
                type: "http",
                x402Version: 2,
                accepts: [{ scheme: "exact", network: "eip155:84532", amount: "10000", asset: rig.usdc, payTo: rig.payTo, maxTimeoutSeconds: 60 }],
                metadata: { description: "Weather forecasts by the hour" },
                lastUpdated: "2026-11-01T00:00:00Z",
              },
              {
                resource: "https://solana.example/api",
                type: "http",
                x402Version: 1,
                accepts: [{ scheme: "exact", network: "solana", maxAmountRequired: "5", asset: "So1", payTo: "x", maxTimeoutSeconds: 60, description: "Solana stock quotes" }],
              },
              "junk",
            ],
            pagination: { limit: 20, offset: 0, total: 2 },
          }),
        ),
    });
    wallet = await rig.newWallet(5_000_000n);
    mcp = await startMcp({
      config: {
        networks: ["eip155:84532"],
        rpc: { "eip155:84532": rig.rpcUrl },
        hosts: { allowPrivate: true },
        discovery: { url: `${bazaar.url}/discovery/resources` },
      },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
    });
    mcp.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push({ level: n.params.level, data: n.params.data }));
    await mcp.client.setLoggingLevel("debug");
  });
  afterAll(async () => {
    await mcp?.close();
    await bazaar?.close();
    await rig?.stop();
  });

  const out = (r: CallToolResult) => r.structuredContent as any;

  it("turns a paid HTML page into readable markdown", async () => {
    const result = await mcp.call("paid_fetch", { url: `${rig.v2.url}/article`, max_length: 100_000 });
    expect(out(result).format).toBe("markdown");
    const body: string = out(result).body;
    expect(body).toMatch(/^# /m);
    expect(body).not.toMatch(/<script|<style|function\(|display:\s*none/);
    expect(body).not.toContain("<p>");
    expect(out(result).payment.status).toBe("verified");
    const raw = await mcp.call("paid_fetch", { url: `${rig.v2.url}/article`, raw: true, max_length: 100_000 });
    expect(out(raw).body).toContain("<html");
    expect(out(raw).cached).toBe(true);
  });

  it("pages through a paid response with exactly one payment on-chain", async () => {
    const before = await rig.balanceOf(wallet.address);
    let start = 0;
    let text = "";
    const transactions = new Set<string>();
    for (let page = 0; page < 50; page++) {
      const result = await mcp.call("paid_fetch", { url: `${rig.v1.url}/long`, max_length: 4000, start_index: start });
      text += out(result).body;
      transactions.add(out(result).payment.transaction);
      expect(out(result).cached).toBe(page > 0);
      if (out(result).nextStartIndex === null) break;
      expect(textOf(result)).toContain(`Call again with start_index=${out(result).nextStartIndex}`);
      start = out(result).nextStartIndex;
    }
    expect(text).toBe(LONG_TEXT);
    expect(transactions.size).toBe(1);
    expect(before - (await rig.balanceOf(wallet.address))).toBe(10_000n);
  });

  it("returns an image as MCP image content", async () => {
    const result = await mcp.call("paid_fetch", { url: `${rig.v2.url}/image` });
    const image = result.content.find((c) => c.type === "image") as { data: string; mimeType: string } | undefined;
    expect(image?.mimeType).toBe("image/png");
    expect(Buffer.from(image!.data, "base64").equals(PNG)).toBe(true);
    expect(out(result).format).toBe("image");
  });

  it("returns other binary as an embedded resource, or saves it when downloadsDir is set", async () => {
    const embedded = await mcp.call("paid_fetch", { url: `${rig.v2.url}/archive` });
    const resource = embedded.content.find((c) => c.type === "resource") as { resource: { blob: string; mimeType: string } } | undefined;
    expect(resource?.resource.mimeType).toBe("application/zip");
    expect(Buffer.from(resource!.resource.blob, "base64").equals(ZIP)).toBe(true);
    const saver = await startMcp({
      config: { networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, hosts: { allowPrivate: true }, content: { downloadsDir: downloads } },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
    });
    try {
      const saved = await saver.call("paid_fetch", { url: `${rig.v1.url}/archive` });
      expect(out(saved).savedTo).toMatch(new RegExp(`^${downloads}/`));
      expect(readFileSync(out(saved).savedTo).equals(ZIP)).toBe(true);
      expect(textOf(saved)).toContain(`saved to ${out(saved).savedTo}`);
    } finally {
      await saver.close();
    }
  });

  it("sends progress notifications when the client asks for them", async () => {
    const messages: string[] = [];
    await mcp.client.callTool({ name: "paid_fetch", arguments: { url: `${rig.v2.url}/slow` } }, undefined, {
      onprogress: (p) => void messages.push(p.message ?? ""),
    });
    expect(messages[0]).toMatch(/^requesting /);
    expect(messages).toContainEqual(expect.stringMatching(/^payment required: 0\.01 USDC on eip155:84532/));
    expect(messages).toContain("payment signed; sending the paid request");
  });

  it("logs each payment (info) and refusal (warning) to the client, without the key", async () => {
    await mcp.call("paid_fetch", { url: `${rig.v2.url}/expensive` });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(logs.some((l) => l.level === "info" && /^paid 0\.01 USDC to /.test(String(l.data)))).toBe(true);
    expect(logs.some((l) => l.level === "warning" && /PRICE_ABOVE_CALL_LIMIT/.test(String(l.data)))).toBe(true);
    expect(JSON.stringify(logs).toLowerCase()).not.toContain(wallet.privateKey.slice(2).toLowerCase());
  });

  it("cancelling a call before payment releases its reservation", async () => {
    const waiting = await startMcp({
      config: { networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, hosts: { allowPrivate: true }, approval: { above: "0.001" } },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
      // The person never answers; the agent gives up instead.
      onElicit: () => new Promise(() => undefined),
    });
    try {
      const before = await rig.balanceOf(wallet.address);
      const controller = new AbortController();
      const call = waiting.client.callTool({ name: "paid_fetch", arguments: { url: `${rig.v2.url}/paid` } }, undefined, { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const mid = (await waiting.call("wallet_balance")).structuredContent as any;
      expect(mid.budget.session.spent).toBe("0.01");
      controller.abort();
      await expect(call).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = (await waiting.call("wallet_balance")).structuredContent as any;
      expect(after.budget.session.spent).toBe("0.00");
      expect(await rig.balanceOf(wallet.address)).toBe(before);
    } finally {
      await waiting.close();
    }
  });

  it("discover_services lists services from a Bazaar endpoint with prices", async () => {
    const result = await mcp.call("discover_services", {});
    expect(out(result).services).toEqual([
      expect.objectContaining({
        url: `${rig.v2.url}/paid`,
        description: "Weather forecasts by the hour",
        price: { amount: "0.01", symbol: "USDC", usd: "0.01", network: "eip155:84532" },
      }),
      expect.objectContaining({ url: "https://solana.example/api", description: "Solana stock quotes", price: null }),
    ]);
    const filtered = await mcp.call("discover_services", { query: "weather" });
    expect(out(filtered).services).toHaveLength(1);
  });

  it("every tool has a title, a description, an output schema and annotations", async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["discover_services", "paid_fetch", "quote_price", "spending_history", "wallet_balance"]);
    for (const tool of tools) {
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.description!.length, tool.name).toBeGreaterThan(80);
      expect(tool.outputSchema, tool.name).toBeDefined();
    }
    const byName = Object.fromEntries(tools.map((t) => [t.name, t.annotations]));
    expect(byName.paid_fetch).toMatchObject({ openWorldHint: true, readOnlyHint: false });
    for (const name of ["quote_price", "wallet_balance", "spending_history"]) expect(byName[name]).toMatchObject({ readOnlyHint: true });
  });
});
