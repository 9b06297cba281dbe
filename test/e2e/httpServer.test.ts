import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import type { Logger } from "../../src/log.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { sha256Hex } from "../../src/server/agentAuth.js";
import { serveHttp, type HttpServerHandle } from "../../src/server/http.js";
import { startRig, type Rig } from "../rig/index.js";

const token = () => randomBytes(24).toString("base64url");

/** Streamable HTTP with authenticated agents: who gets in, what each agent sees, what each may spend. */
describe("serve over Streamable HTTP", () => {
  let rig: Rig;
  let rt: Runtime;
  let server: HttpServerHandle;
  const logs: string[] = [];
  const ledger = join(mkdtempSync(join(tmpdir(), "x402-http-")), "ledger.jsonl");
  const alice = token();
  const bob = token();
  const carol = token();

  beforeAll(async () => {
    rig = await startRig();
    const wallet = await rig.newWallet(5_000_000n);
    const config = ConfigSchema.parse({
      networks: ["eip155:84532"],
      rpc: { "eip155:84532": rig.rpcUrl },
      hosts: { allowPrivate: true },
      ledger,
      agents: [
        { name: "alice", tokenSha256: sha256Hex(alice), budget: { perDay: "0.02" } },
        { name: "bob", tokenSha256: sha256Hex(bob) },
        { name: "carol", tokenSha256: sha256Hex(carol), budget: { perDay: "0" } },
      ],
    });
    const logger: Logger = { log: (level, message) => void logs.push(`${level}: ${message}`) };
    rt = await createRuntime({ config, account: privateKeyToAccount(wallet.privateKey), logger });
    server = await serveHttp(rt, { host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await rt?.close();
    await rig?.stop();
  });

  async function connect(bearer: string | undefined, headers: Record<string, string> = {}) {
    const transport = new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...headers } },
    });
    const client = new Client({ name: "http-e2e", version: "1" });
    await client.connect(transport);
    return { client, transport, call: async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult };
  }

  const post = (headers: Record<string, string>, body: unknown = { jsonrpc: "2.0", id: 1, method: "tools/list" }) =>
    fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      body: JSON.stringify(body),
    });

  it("answers /healthz without auth and without secrets", async () => {
    const res = await fetch(server.url.replace("/mcp", "/healthz"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("refuses no token and a wrong token with 401 and WWW-Authenticate, before any MCP work", async () => {
    for (const headers of <Record<string, string>[]>[{}, { authorization: `Bearer ${token()}` }, { authorization: "Basic abc" }]) {
      const res = await post(headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    }
  });

  it("refuses a foreign Origin and a foreign Host", async () => {
    const foreignOrigin = await post({ authorization: `Bearer ${alice}`, origin: "https://evil.example" });
    expect(foreignOrigin.status).toBe(403);
    const port = new URL(server.url).port;
    const rebinding = await new Promise<number>((resolve, reject) => {
      import("node:http").then(({ request }) => {
        const req = request({ host: "127.0.0.1", port, path: "/mcp", method: "POST", headers: { host: `attacker.example:${port}`, authorization: `Bearer ${alice}` } }, (res) => resolve(res.statusCode ?? 0));
        req.on("error", reject);
        req.end("{}");
      });
    });
    expect(rebinding).toBe(403);
  });

  it("lets an agent pay within its own daily cap, on top of the wallet's", async () => {
    const a = await connect(alice);
    try {
      const first = await a.call("paid_fetch", { url: `${rig.v2.url}/paid` });
      expect((first.structuredContent as any).payment.status).toBe("verified");
      await a.call("paid_fetch", { url: `${rig.v1.url}/paid` });
      const third = await a.call("paid_fetch", { url: `${rig.v2.url}/cheap` });
      expect((third.content[0] as { text: string }).text).toMatch(/^\[DAILY_BUDGET_EXCEEDED\] .*agent "alice"/);
    } finally {
      await a.client.close();
    }
  });

  it("shows each agent only its own spending history", async () => {
    const b = await connect(bob);
    try {
      const before = (await b.call("spending_history")).structuredContent as any;
      expect(before.receipts).toEqual([]);
      await b.call("paid_fetch", { url: `${rig.v2.url}/cheap` });
      const after = (await b.call("spending_history")).structuredContent as any;
      expect(after.receipts.map((r: any) => r.amountAtomic)).toEqual(["1000"]);
    } finally {
      await b.client.close();
    }
    const a = await connect(alice);
    try {
      const mine = (await a.call("spending_history")).structuredContent as any;
      expect(mine.receipts.map((r: any) => r.amountAtomic).sort()).toEqual(["10000", "10000"]);
    } finally {
      await a.client.close();
    }
  });

  it("does not let one agent use another agent's session", async () => {
    const a = await connect(alice);
    try {
      const sessionId = a.transport.sessionId!;
      expect(sessionId).toBeTruthy();
      const forged = await post({ authorization: `Bearer ${bob}`, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" });
      expect(forged.status).toBe(404);
      const own = await post({ authorization: `Bearer ${alice}`, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" });
      expect(own.status).toBe(200);
    } finally {
      await a.client.close();
    }
  });

  it("never serves one agent's paid response to another from the pay-once cache", async () => {
    const b = await connect(bob);
    const c = await connect(carol);
    try {
      const url = `${rig.v1.url}/cheap`;
      const paid = (await b.call("paid_fetch", { url })).structuredContent as any;
      expect(paid).toMatchObject({ cached: false, body: "cheap content", payment: { status: "verified" } });
      const refused = await c.call("paid_fetch", { url });
      expect((refused.content[0] as { text: string }).text).toMatch(/^\[DAILY_BUDGET_EXCEEDED\] .*agent "carol"/);
      expect(JSON.stringify(refused)).not.toContain("cheap content");
      expect(((await b.call("paid_fetch", { url })).structuredContent as any).cached).toBe(true);
    } finally {
      await b.client.close();
      await c.client.close();
    }
  });

  it("refuses to listen on a non-loopback address without agents", async () => {
    const open = { ...rt, config: { ...rt.config, agents: [] } };
    await expect(serveHttp(open, { host: "0.0.0.0", port: 0 })).rejects.toMatchObject({ code: "CONFIG_INVALID" });
  });

  it("keeps the tokens out of the ledger and the logs", () => {
    const everything = `${readFileSync(ledger, "utf8")}\n${logs.join("\n")}`;
    expect(everything).toContain("alice");
    for (const secret of [alice, bob, carol]) expect(everything).not.toContain(secret);
  });
});
