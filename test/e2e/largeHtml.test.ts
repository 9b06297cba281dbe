import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort, tempHome, writeConfig } from "../cli/run.js";
import { connectHttp, startHttpServer, type HttpServerProcess } from "./httpProcess.js";

const MODULE_TAP = pathToFileURL(resolve(import.meta.dirname, "../cli/moduleTap.mjs")).href;
const HTML_MODULES = /\/node_modules\/(linkedom|turndown|@mozilla\/readability|@joplin\/turndown-plugin-gfm)\//;

const table = (rows: number) =>
  "<html><head><title>Price list</title></head><body><table><tr><th>id</th><th>item</th><th>price</th></tr>" +
  Array.from({ length: rows }, (_, i) => `<tr><td>${i}</td><td>item ${i}</td><td>0.0${i % 10}</td></tr>`).join("") +
  "</table></body></html>";

/** The free page: a 4 000-row table took a minute to convert on the event loop, and every agent and /healthz waited. */
describe("serve --http while a large HTML page is converted", () => {
  let site: Server;
  let siteUrl: string;
  let server: HttpServerProcess;
  const { dir, env } = tempHome();
  const tap = join(dir, "modules.txt");

  beforeAll(async () => {
    const pages: Record<string, string> = { "/table-4000": table(4_000), "/table-20000": table(20_000) };
    site = createServer((req, res) => {
      const page = pages[req.url ?? ""];
      res.writeHead(page ? 200 : 404, { "content-type": "text/html; charset=utf-8" }).end(page ?? "");
    });
    await new Promise<void>((done) => site.listen(0, "127.0.0.1", done));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    const configPath = writeConfig({
      networks: ["eip155:84532"],
      rpc: { "eip155:84532": `http://127.0.0.1:${await closedPort()}` },
      hosts: { allowPrivate: true },
    });
    server = await startHttpServer({
      configPath,
      env: { ...env, X402_PRIVATE_KEY: generatePrivateKey(), NODE_OPTIONS: `--import=${MODULE_TAP}`, X402_TEST_MODULE_TAP: tap },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await new Promise((done) => site?.close(done));
  });

  it("loads no HTML converter module at start-up", () => {
    expect(readFileSync(tap, "utf8").split("\n").filter((url) => HTML_MODULES.test(url))).toEqual([]);
  });

  it("keeps answering /healthz and other agents within a second while a 4 000-row table converts", { timeout: 30_000 }, async () => {
    const agent = await connectHttp(server.url, undefined, { timeoutMs: 20_000 });
    const other = await connectHttp(server.url);
    let done = false;
    const call = agent.call("paid_fetch", { url: `${siteUrl}/table-4000`, max_length: 1_000_000 });
    // Settles `done` either way; a failure still surfaces where `call` is awaited below.
    call.then(() => (done = true), () => (done = true));
    const slowest = { healthz: 0, toolsList: 0, rounds: 0 };
    while (!done) {
      let started = Date.now();
      const health = await fetch(server.url.replace("/mcp", "/healthz"), { signal: AbortSignal.timeout(1_000) });
      expect(health.status).toBe(200);
      slowest.healthz = Math.max(slowest.healthz, Date.now() - started);
      started = Date.now();
      await other.client.listTools(undefined, { timeout: 1_000 });
      slowest.toolsList = Math.max(slowest.toolsList, Date.now() - started);
      slowest.rounds++;
      await new Promise((r) => setTimeout(r, 50));
    }
    const result = await call;
    expect(result.structuredContent).toMatchObject({ status: 200, format: "markdown", totalLength: expect.any(Number) });
    const body = (result.structuredContent as { body: string }).body;
    expect(body.startsWith("# Price list\n\n| id  | item | price |\n| --- | --- | --- |\n")).toBe(true);
    expect(body).toContain("\n| 3999 | item 3999 | 0.09 |");
    expect(slowest.healthz).toBeLessThan(1_000);
    expect(slowest.toolsList).toBeLessThan(1_000);
    await Promise.all([agent.close(), other.close()]);
  });

  it("gives a page over the element limit as plain text under a note", { timeout: 30_000 }, async () => {
    const agent = await connectHttp(server.url, undefined, { timeoutMs: 20_000 });
    const result = await agent.call("paid_fetch", { url: `${siteUrl}/table-20000`, max_length: 200 });
    expect(result.structuredContent).toMatchObject({ status: 200, format: "text" });
    expect((result.structuredContent as { body: string }).body).toBe(
      "[Not converted to markdown: the page has over 50000 elements, more than this server converts. Its plain text follows.]\n\n" +
        "Price list\n\nid item price\n0 item 0 0.00\n1 item 1 0.01\n2 item 2 0.02\n3 item 3 0.0",
    );
    await agent.close();
  });

  it("still stops on SIGTERM with exit code 0, its converter worker included", async () => {
    expect(await server.stop()).toBe(0);
  });
});
