import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpClient } from "../../src/http/createHttpClient.js";
import { assertHostAllowed } from "../../src/policy/hosts.js";
import { startMcp, textOf, type McpSession } from "../e2e/mcpClient.js";
import { HOSTILE_KEY } from "./key.js";

/**
 * Headers in tool input that would change where the request goes or how it is framed: a
 * `Host` the host policy never saw (a denied virtual host, or domain fronting over TLS), a
 * second framing of the body, or a payment header the wallet did not sign. Each is refused
 * before any request is made.
 */
describe("request headers that steer or frame the request", () => {
  let server: Server;
  let port: number;
  const seen: IncomingHttpHeaders[] = [];
  let mcp: McpSession;

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { "content-type": "text/plain" }).end(`virtual host ${req.headers.host}`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    mcp = await startMcp({
      config: {
        networks: ["eip155:84532"],
        rpc: { "eip155:84532": "http://127.0.0.1:1" },
        hosts: { allowPrivate: true, allow: ["localhost"], deny: ["evil.test"] },
      },
      env: { X402_PRIVATE_KEY: HOSTILE_KEY },
    });
  });
  afterAll(async () => {
    await mcp?.close();
    server?.closeAllConnections();
    server?.close();
  });

  const call = (tool: string, args: Record<string, unknown>) =>
    mcp.call(tool, args).catch((error: Error) => ({ isError: true, content: [{ type: "text" as const, text: error.message }] }));

  it.each(["paid_fetch", "quote_price"])("%s refuses a Host header naming a host the policy denies", async (tool) => {
    const result = await call(tool, { url: `http://localhost:${port}/paid`, headers: { host: "evil.test" } });
    expect(result.isError).toBe(true);
    expect(textOf(result as never)).toMatch(/header "host" is not accepted.*set by the client from the url/i);
    expect(seen).toEqual([]);
  });

  it.each([
    ["Host", "localhost"],
    ["Content-Length", "0"],
    ["Transfer-Encoding", "chunked"],
    ["Connection", "close"],
    ["Keep-Alive", "timeout=5"],
    ["Proxy-Connection", "keep-alive"],
    ["Upgrade", "websocket"],
    ["TE", "trailers"],
    ["Trailer", "x-sum"],
    ["Expect", "100-continue"],
    ["Proxy-Authorization", "Basic YTpi"],
    ["HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA"],
    ["PAYMENT-SIGNATURE", "e30="],
    ["X-Payment", "e30="],
    ["Sign-In-With-X", "e30="],
  ])("refuses %s in tool input, naming it", async (name, value) => {
    const result = await call("paid_fetch", { url: `http://localhost:${port}/paid`, method: "POST", headers: { [name]: value }, body: "x" });
    expect(result.isError).toBe(true);
    expect(textOf(result as never)).toContain(`header "${name.toLowerCase()}" is not accepted`);
    expect(seen).toEqual([]);
  });

  it("still sends ordinary headers", async () => {
    const result = await call("paid_fetch", { url: `http://localhost:${port}/paid`, headers: { "x-trace": "1", authorization: "Bearer t" } });
    expect(result.isError).toBeFalsy();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ host: `localhost:${port}`, "x-trace": "1", authorization: "Bearer t" });
    seen.length = 0;
  });

  it("the HTTP client itself never lets a caller's Host or hop-by-hop header reach the wire", async () => {
    const http = createHttpClient({
      timeoutMs: 5_000,
      maxBodyBytes: 1024,
      allowPrivate: true,
      userAgent: "test",
      assertUrlAllowed: (url) => assertHostAllowed(url, { allow: ["localhost"], deny: ["evil.test"] }),
    });
    try {
      for (const headers of <Record<string, string>[]>[{ Host: "evil.test" }, { "transfer-encoding": "chunked" }, { CONNECTION: "upgrade", upgrade: "h2c" }]) {
        await expect(
          http.send({ url: `http://localhost:${port}/paid`, method: "POST", headers, body: "x" }, { followRedirects: true }),
        ).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringMatching(/is not accepted/) });
      }
      expect(seen).toEqual([]);
    } finally {
      await http.close();
    }
  });
});
