import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageMcpb } from "../../scripts/bundle.js";
import { DEFAULT_ROUTES, startRig, type Rig } from "../rig/index.js";
import { startRedis, type RedisHandle } from "../rig/redis.js";
import { startMcp, type McpSession } from "../e2e/mcpClient.js";

const ROOT = resolve(import.meta.dirname, "../..");
const ARTICLE = readFileSync(join(import.meta.dirname, "../content/fixtures/article.html"), "utf8");
const manifest = JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8"));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
/** A source map inside a chunk: source text node reads and V8 keeps (19 MB of the server's RSS, issue 20). */
const INLINE_MAP = "sourceMappingURL=data:";

/** The issue's bar for the MCP Bundle (issue 20). */
const MAX_MCPB_BYTES = 3_000_000;
const MAX_MCPB_FILES = 100;

/** The .mcpb as `npm run pack:mcpb` makes it: the esbuild bundle, not node_modules, and it runs on its own. */
describe("MCP Bundle (.mcpb) built from the esbuild bundle", () => {
  const stage = mkdtempSync(join(tmpdir(), "x402-mcpb-"));
  const entry = join(stage, manifest.server.entry_point);
  let rig: Rig;
  let redis: RedisHandle;
  let wallet: { privateKey: `0x${string}`; address: `0x${string}` };
  let mcp: McpSession;

  beforeAll(async () => {
    [rig, redis] = await Promise.all([
      startRig({
        routes: [...DEFAULT_ROUTES, { method: "GET", path: "/article", price: "$0.01", respond: (_req, res) => void res.type("text/html").send(ARTICLE) }],
      }),
      startRedis(),
      stageMcpb(stage),
    ]);
    wallet = await rig.newWallet(5_000_000n);
    mcp = await startMcp({
      entry,
      config: { networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, hosts: { allowPrivate: true } },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
    });
  });
  afterAll(async () => {
    await mcp?.close();
    await Promise.all([rig?.stop(), redis?.stop()]);
  });

  const out = (result: CallToolResult) => result.structuredContent as Record<string, any>;

  it(`packs into at most ${MAX_MCPB_BYTES / 1e6} MB and ${MAX_MCPB_FILES} files, without node_modules`, () => {
    const files = readdirSync(stage, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.some((f) => join(f.parentPath, f.name).includes("node_modules"))).toBe(false);
    expect(files.length).toBeLessThanOrEqual(MAX_MCPB_FILES);
    const mcpb = join(mkdtempSync(join(tmpdir(), "x402-mcpb-out-")), "x402-wallet-mcp.mcpb");
    execFileSync(join(ROOT, "node_modules/.bin/mcpb"), ["pack", stage, mcpb], { stdio: "pipe" });
    expect(statSync(mcpb).size).toBeLessThanOrEqual(MAX_MCPB_BYTES);
  });

  it("ships no source maps, inline or beside the chunks (a map per chunk would double the files)", () => {
    const files = readdirSync(join(stage, "bundle"));
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    expect(files.filter((f) => readFileSync(join(stage, "bundle", f), "utf8").includes(INLINE_MAP))).toEqual([]);
  });

  it("every lazily imported chunk loads from the bundle alone", () => {
    const bundle = join(stage, "bundle");
    // index.js would start a server, and htmlWorker.js is a thread's entry (the HTML test below starts it).
    const chunks = readdirSync(bundle).filter((f) => f.endsWith(".js") && f !== "index.js" && f !== "htmlWorker.js");
    const script = `for (const f of ${JSON.stringify(chunks)}) await import(${JSON.stringify(`${bundle}/`)} + f);`;
    execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: tmpdir(), stdio: "pipe" });
  });

  it("answers tools/list with the manifest's tools", async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual((manifest.tools as { name: string }[]).map((t) => t.name).sort());
  });

  it("pays a v2 GET on the rig, verified on-chain", async () => {
    const before = await rig.balanceOf(wallet.address);
    const result = await mcp.call("paid_fetch", { url: `${rig.v2.url}/paid` });
    expect(result.isError, JSON.stringify(result.content) + mcp.stderr()).toBeFalsy();
    expect(out(result).payment).toMatchObject({ status: "verified", amountAtomic: "10000", payer: wallet.address });
    expect(before - (await rig.balanceOf(wallet.address))).toBe(10_000n);
  });

  it("converts a paid HTML page to markdown on the worker shipped in the bundle", async () => {
    const result = await mcp.call("paid_fetch", { url: `${rig.v2.url}/article`, max_length: 100_000 });
    expect(out(result).format).toBe("markdown");
    expect(out(result).body).toMatch(/^# /m);
    expect(out(result).body).not.toContain("<p>");
    expect(mcp.stderr()).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND|Dynamic require/);
  });

  it("pays with the Redis budget store (ioredis, a chunk of its own)", async () => {
    const onRedis = await startMcp({
      entry,
      config: {
        networks: ["eip155:84532"],
        rpc: { "eip155:84532": rig.rpcUrl },
        hosts: { allowPrivate: true },
        store: { kind: "redis", url: redis.url, prefix: "bundle:" },
      },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
    });
    try {
      const result = await onRedis.call("paid_fetch", { url: `${rig.v2.url}/paid` });
      expect(out(result).payment).toMatchObject({ status: "verified" });
      const history = await onRedis.call("spending_history", {});
      expect(JSON.stringify(history.structuredContent)).toContain(out(result).payment.transaction);
    } finally {
      await onRedis.close();
    }
  });
});

/**
 * What `npx x402-wallet-mcp` runs: the package's bin is the bundle `npm run build` writes (so a
 * clean clone's `npm ci` and build has it), and the npm package ships that bundle and its maps,
 * neither dist/ nor the sources.
 */
describe("npm package: the bin is the bundle", () => {
  const bin = join(ROOT, pkg.bin["x402-wallet-mcp"]);
  const bundleDir = join(bin, "..");

  it("packs the bundle with a map beside each chunk, and neither dist/ nor src/", () => {
    // Scripts off: prepack would rebuild the tree the other tests are running from.
    const [packed] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" }));
    const paths: string[] = packed.files.map((f: { path: string }) => f.path);
    expect(pkg.bin["x402-wallet-mcp"]).toBe("bundle/index.js");
    expect(paths).toContain("bundle/index.js");
    expect(paths).toContain("bundle/htmlWorker.js");
    expect(paths.filter((p) => /^(dist|src|node_modules)\//.test(p))).toEqual([]);
    const chunks = paths.filter((p) => p.endsWith(".js"));
    expect(chunks.filter((p) => !paths.includes(`${p}.map`))).toEqual([]);
  });

  it("links each chunk to its map instead of carrying it inline", () => {
    const chunks = readdirSync(bundleDir).filter((f) => f.endsWith(".js"));
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      const text = readFileSync(join(bundleDir, chunk), "utf8");
      expect(text.includes(INLINE_MAP), chunk).toBe(false);
      expect(text.trimEnd().endsWith(`//# sourceMappingURL=${chunk}.map`), chunk).toBe(true);
    }
  });

  it("installs from its tarball alone, with nothing else to fetch, and the installed bin answers tools/list", async () => {
    // The bin carries everything it runs: a dependency would be fetched by every `npx` for nothing.
    expect(pkg.dependencies ?? {}).toEqual({});
    const dir = mkdtempSync(join(tmpdir(), "x402-npm-"));
    execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], { cwd: ROOT, stdio: "pipe" });
    const app = join(dir, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
    // Offline: the tarball is all there is. The optional dependency is the test rig's anvil.
    execFileSync("npm", ["install", "--offline", "--ignore-scripts", "--omit=optional", "--no-audit", "--no-fund", join(dir, `${pkg.name}-${pkg.version}.tgz`)], { cwd: app, stdio: "pipe" });
    expect(readdirSync(join(app, "node_modules")).filter((f) => !f.startsWith("."))).toEqual([pkg.name]);
    const mcp = await startMcp({
      entry: join(app, "node_modules/.bin/x402-wallet-mcp"),
      config: { networks: ["eip155:84532"], rpc: { "eip155:84532": "http://127.0.0.1:9" }, ledger: join(dir, "ledger.jsonl") },
      env: { X402_PRIVATE_KEY: `0x${"11".repeat(32)}` },
    });
    try {
      const { tools } = await mcp.client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual((manifest.tools as { name: string }[]).map((t) => t.name).sort());
    } finally {
      await mcp.close();
    }
  });
});
