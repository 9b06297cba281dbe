import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createPublicClient, HttpRequestError, RpcRequestError, TimeoutError } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import { RpcTransports } from "../../src/chains/evm/rpcTransport.js";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

const servers: Server[] = [];
const transports: RpcTransports[] = [];

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A loopback JSON-RPC endpoint whose answers the test writes; it records what it was sent. */
async function rpcServer(answer: (seen: Seen, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const one = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      seen.push(one);
      answer(one, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function viemClient(url: string, timeout = 5_000) {
  const rpc = new RpcTransports(timeout);
  transports.push(rpc);
  return createPublicClient({ transport: rpc.transport(url) });
}

const jsonResult = (result: unknown) => (seen: Seen, res: ServerResponse) => {
  const { id } = JSON.parse(seen.body) as { id: number };
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id, result }));
};

describe("RpcTransports", () => {
  it("carries viem's JSON-RPC request and answer", async () => {
    const rpc = await rpcServer(jsonResult("0x14a34"));
    await expect(viemClient(`${rpc.url}/v2/some-key?x=1`).getChainId()).resolves.toBe(84532);
    expect(rpc.seen).toHaveLength(1);
    expect(rpc.seen[0]).toMatchObject({ method: "POST", url: "/v2/some-key?x=1" });
    expect(rpc.seen[0]!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(rpc.seen[0]!.body)).toMatchObject({ jsonrpc: "2.0", method: "eth_chainId" });
  });

  it("sends the credentials of an RPC URL as basic auth, as viem does", async () => {
    const rpc = await rpcServer(jsonResult("0x1"));
    await viemClient(rpc.url.replace("http://", "http://user:s3cret@")).getChainId();
    expect(rpc.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from("user:s3cret").toString("base64")}`);
  });

  it("keeps connections alive between calls", async () => {
    const rpc = await rpcServer(jsonResult("0x1"));
    let connections = 0;
    rpc.server.on("connection", () => connections++);
    const client = viemClient(rpc.url);
    for (let i = 0; i < 6; i++) await client.getChainId();
    expect(rpc.seen).toHaveLength(6);
    // undici may open a second one while the first is being returned to its pool (so does fetch).
    expect(connections).toBeLessThanOrEqual(2);
  });

  it("keeps viem's error classes: a JSON-RPC error and an HTTP failure", async () => {
    const rpc = await rpcServer((seen, res) => {
      const { id } = JSON.parse(seen.body) as { id: number };
      if (seen.url === "/rpc-error") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32602, message: "bad params here" } }));
      } else {
        res.writeHead(502, { "content-type": "text/plain" }).end("upstream down");
      }
    });
    const rpcError = await viemClient(`${rpc.url}/rpc-error`).getChainId().catch((e: unknown) => e);
    expect((rpcError as Error).message).toContain("bad params here");
    expect((rpcError as { walk: (f: (e: unknown) => boolean) => unknown }).walk((e) => e instanceof RpcRequestError)).toBeTruthy();
    const httpError = await viemClient(`${rpc.url}/down`).getChainId().catch((e: unknown) => e);
    const cause = (httpError as { walk: (f: (e: unknown) => boolean) => unknown }).walk((e) => e instanceof HttpRequestError);
    expect(cause).toBeInstanceOf(HttpRequestError);
    expect((cause as HttpRequestError).status).toBe(502);
    expect((cause as HttpRequestError).message).toContain("upstream down");
  });

  it("fails a call whose answer carries an error of any shape, as viem does", async () => {
    const rpc = await rpcServer((_seen, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: 1, error: "rate limited" })));
    const error = await viemClient(rpc.url).getChainId().catch((e: unknown) => e);
    expect((error as { walk: (f: (e: unknown) => boolean) => unknown }).walk((e) => e instanceof RpcRequestError)).toBeTruthy();
  });

  it("retries what viem's http transport retries: a 2xx answer that is not JSON, a 429 (with its Retry-After)", async () => {
    const rpc = await rpcServer((seen, res) => {
      if (seen.url === "/garbled") return void res.writeHead(200, { "content-type": "text/html" }).end("<html>maintenance</html>");
      res.writeHead(429, { "retry-after": "0", "content-type": "text/plain" }).end("slow down");
    });
    const garbled = await viemClient(`${rpc.url}/garbled`).getChainId().catch((e: unknown) => e);
    expect((garbled as { walk: (f: (e: unknown) => boolean) => unknown }).walk((e) => e instanceof HttpRequestError)).toBeTruthy();
    const limited = await viemClient(`${rpc.url}/limited`).getChainId().catch((e: unknown) => e);
    const cause = (limited as { walk: (f: (e: unknown) => boolean) => unknown }).walk((e) => e instanceof HttpRequestError) as HttpRequestError;
    expect(cause.status).toBe(429);
    expect(cause.headers?.get("retry-after")).toBe("0");
    expect(rpc.seen.map((s) => s.url)).toEqual(["/garbled", "/garbled", "/limited", "/limited"]);
  });

  it("follows a redirect with the same request", async () => {
    const rpc = await rpcServer((seen, res) => {
      if (seen.url === "/old") return void res.writeHead(307, { location: "/new" }).end();
      jsonResult("0x2a")(seen, res);
    });
    await expect(viemClient(`${rpc.url}/old`).getChainId()).resolves.toBe(42);
    expect(rpc.seen.map((s) => `${s.method} ${s.url}`)).toEqual(["POST /old", "POST /new"]);
    expect(rpc.seen[1]!.body).toBe(rpc.seen[0]!.body);
  });

  it("stops reading an answer larger than viem's 10 MiB limit", async () => {
    const rpc = await rpcServer((_seen, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const more = () => {
        while (sent < 12 && res.write(chunk)) sent++;
        if (sent < 12) res.once("drain", more);
        else res.end();
      };
      more();
    });
    const error = await viemClient(rpc.url).getChainId().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/exceeded max size/i);
  });

  it("gives up at viem's timeout on an RPC that never answers", async () => {
    const rpc = await rpcServer(() => {});
    const started = performance.now();
    const error = await viemClient(rpc.url, 300).getChainId().catch((e: unknown) => e);
    expect((error as { walk: (f: (e: unknown) => boolean) => unknown }).walk((e) => e instanceof TimeoutError)).toBeTruthy();
    expect(performance.now() - started).toBeLessThan(4_000);
  });

  it("close() ends the kept-alive connection", async () => {
    const rpc = await rpcServer(jsonResult("0x1"));
    let closed = 0;
    rpc.server.on("connection", (socket) => socket.on("close", () => closed++));
    const rpcTransports = new RpcTransports(5_000);
    await createPublicClient({ transport: rpcTransports.transport(rpc.url) }).getChainId();
    expect(closed).toBe(0);
    await rpcTransports.close();
    await expect.poll(() => closed).toBe(1);
  });
});
