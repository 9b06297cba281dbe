import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { PublicClients } from "../../src/chains/evm/publicClients.js";
import { redactRpcUrl } from "../../src/chains/redactRpcUrl.js";
import { closedPort } from "../cli/run.js";
import { deadKeyedRpcUrl } from "./keyedRpc.js";

describe("redactRpcUrl", () => {
  it.each([
    ["http://127.0.0.1:8545", "http://127.0.0.1:8545"],
    ["http://127.0.0.1:8545/", "http://127.0.0.1:8545"],
    ["https://mainnet.base.org", "https://mainnet.base.org"],
    ["https://base-mainnet.infura.io/v3/0123456789abcdef", "https://base-mainnet.infura.io/…"],
    ["https://base-mainnet.g.alchemy.com/v2/AlchemyKey", "https://base-mainnet.g.alchemy.com/…"],
    ["https://rpc.example.com/?apikey=k3y", "https://rpc.example.com/…"],
    ["https://alice:pa55@rpc.example.com:8443", "https://rpc.example.com:8443/…"],
    ["https://alice@rpc.example.com", "https://rpc.example.com/…"],
    ["https://rpc.example.com/#k3y", "https://rpc.example.com/…"],
    ["http://u:p@[::1]:8545/v3/k?x=1", "http://[::1]:8545/…"],
  ])("%s is shown as %s", (url, shown) => {
    expect(redactRpcUrl(url)).toBe(shown);
  });

  it("shows nothing of what is not an http(s) URL", () => {
    for (const url of ["user:secret@nowhere", "not a url", "ftp://u:p@host/key"]) expect(redactRpcUrl(url)).toBe("(an RPC URL that is not http:// or https://)");
  });
});

/** Errors of the RPC layer end up in tool output, doctor and logs: they name the RPC only as redacted. */
describe("RPC errors name the RPC without its credentials", () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function failingRpc(): Promise<number> {
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        const { id } = JSON.parse(body) as { id: number };
        if (req.url?.includes("rpcerror")) {
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32005, message: "limit exceeded" } }));
        } else {
          res.writeHead(502, { "content-type": "text/plain" }).end("upstream down");
        }
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  }

  it.each([
    ["nothing listens", async () => ({ port: await closedPort(), tweak: (u: string) => u })],
    ["the RPC answers HTTP 502", async () => ({ port: await failingRpc(), tweak: (u: string) => u })],
    ["the RPC answers a JSON-RPC error", async () => ({ port: await failingRpc(), tweak: (u: string) => u.replace("/v3/", "/v3/rpcerror-") })],
  ])("%s", async (_name, setUp) => {
    const { port, tweak } = await setUp();
    const dead = deadKeyedRpcUrl(port);
    const url = tweak(dead.url);
    const clients = new PublicClients({ "eip155:84532": url }, 2_000);
    try {
      expect(clients.redactedRpcUrl("eip155:84532")).toBe(`http://127.0.0.1:${port}/…`);
      const error = await clients.get("eip155:84532").getChainId().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      const everything = `${String(error)}\n${(error as Error).stack}\n${inspect(error, { depth: Infinity })}`;
      expect(everything).toContain(`http://127.0.0.1:${port}/…`);
      for (const secret of dead.secrets) expect(everything).not.toContain(secret);
    } finally {
      await clients.close();
    }
  });
});
