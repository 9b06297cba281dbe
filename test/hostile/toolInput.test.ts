import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMcp, textOf, type McpSession } from "../e2e/mcpClient.js";
import { startHostileServer, type HostileServer } from "./hostileServer.js";
import { HOSTILE_KEY } from "./key.js";

/** Tool input from a prompt-injected agent: each is refused before any request is made. */
describe("bad tool input", () => {
  let target: HostileServer;
  let mcp: McpSession;
  let requests = 0;

  beforeAll(async () => {
    target = await startHostileServer({ "/ok": (_req, res) => (requests++, res.writeHead(200).end("ok")) });
    mcp = await startMcp({ config: { hosts: { allowPrivate: true }, networks: ["eip155:84532"] }, env: { X402_PRIVATE_KEY: HOSTILE_KEY } });
  });
  afterAll(async () => {
    await mcp?.close();
    await target?.close();
  });

  const refused = async (args: Record<string, unknown>, message: RegExp) => {
    const result = await mcp.call("paid_fetch", args).catch((error: Error) => ({ isError: true, content: [{ type: "text", text: error.message }] }));
    expect(result.isError).toBe(true);
    expect(textOf(result as never)).toMatch(message);
  };

  it.each([
    ["file:", "file:///etc/passwd"],
    ["javascript:", "javascript:alert(1)"],
    ["data:", "data:text/plain,hello"],
    ["ftp:", "ftp://example.com/x"],
  ])("refuses a %s URL", async (_label, url) => {
    await refused({ url }, /url must be an absolute http:\/\/ or https:\/\/ URL/);
  });

  it("refuses a URL that is too long, or carries credentials", async () => {
    await refused({ url: `${target.url}/ok?${"a".repeat(9000)}` }, /url|8192/i);
    await refused({ url: target.url.replace("http://", "http://user:secret@") + "/ok" }, /must not contain credentials/);
  });

  it("refuses header names or values with CR/LF, methods outside the list, bad max_payment, a 10 MB body", async () => {
    await refused({ url: `${target.url}/ok`, headers: { "x-evil\r\ninjected": "1" } }, /header names must be HTTP tokens/);
    await refused({ url: `${target.url}/ok`, headers: { "x-evil": "a\r\nInjected: 1" } }, /must not contain CR or LF/);
    await refused({ url: `${target.url}/ok`, method: "CONNECT" }, /method/);
    await refused({ url: `${target.url}/ok`, method: "TRACE" }, /method/);
    await refused({ url: `${target.url}/ok`, max_payment: "-1" }, /max_payment must be a USD amount/);
    await refused({ url: `${target.url}/ok`, max_payment: "ten" }, /max_payment must be a USD amount/);
    await refused({ url: `${target.url}/ok`, max_payment: "1e3" }, /max_payment must be a USD amount/);
    await refused({ url: `${target.url}/ok`, method: "POST", body: "x".repeat(10 * 1024 * 1024) }, /body|too big|1048576/i);
  });

  it("refuses more than 64 headers, and one name spelled twice", async () => {
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`x-h${i}`, "v"]));
    await refused({ url: `${target.url}/ok`, headers: many }, /at most 64 headers/);
    await refused({ url: `${target.url}/ok`, headers: { "Content-Type": "text/plain", "content-type": "application/json" } }, /each header name once/);
  });

  it("made no request for any of it, and still serves a good one", async () => {
    expect(requests).toBe(0);
    expect((await mcp.call("paid_fetch", { url: `${target.url}/ok` })).structuredContent).toMatchObject({ body: "ok" });
    expect(requests).toBe(1);
  });
});
