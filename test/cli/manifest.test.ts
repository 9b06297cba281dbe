import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { MANIFEST_SCHEMAS } from "@anthropic-ai/mcpb";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { ConfigSchema, DEFAULT_NETWORKS } from "../../src/config/schema.js";
import { createRuntime } from "../../src/runtime.js";
import { createServer } from "../../src/server/createServer.js";
import { loadWallet } from "../../src/wallet/loadWallet.js";

const ROOT = resolve(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const manifest = JSON.parse(read("manifest.json"));
const pkg = JSON.parse(read("package.json"));

type UserConfig = Record<string, { type: string; default?: string; sensitive?: boolean; required?: boolean }>;
const userConfig = manifest.user_config as UserConfig;
const env = manifest.server.mcp_config.env as Record<string, string>;

/** The env an MCP Bundle host gives the server: each `${user_config.x}` replaced by the user's value. */
function envAsInstalled(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([name, template]) => [name, template.replace(/^\$\{user_config\.(\w+)\}$/, (_, key: string) => values[key] ?? "")]),
  );
}

describe("manifest.json (MCP Bundle)", () => {
  it("is a valid manifest for the mcpb tooling, with this package's name and version", () => {
    const schema = MANIFEST_SCHEMAS[manifest.manifest_version as keyof typeof MANIFEST_SCHEMAS];
    expect(schema).toBeDefined();
    const parsed = schema.safeParse(manifest);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    expect(manifest.name).toBe(pkg.name);
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.compatibility.runtimes.node).toBe(pkg.engines.node);
  });

  it("starts the built bin with node", () => {
    expect(manifest.server.type).toBe("node");
    expect(manifest.server.entry_point).toBe(pkg.bin["x402-wallet-mcp"]);
    expect(manifest.server.entry_point).toBe("bundle/index.js");
    expect(existsSync(join(ROOT, manifest.server.entry_point))).toBe(true);
    expect(manifest.server.mcp_config.command).toBe("node");
    expect(manifest.server.mcp_config.args.at(-1)).toBe(`\${__dirname}/${manifest.server.entry_point}`);
  });

  it("passes node only flags this node accepts (a smaller young generation: see bench/RESULTS.md, memory)", () => {
    const flags = manifest.server.mcp_config.args.slice(0, -1);
    expect(flags).toEqual(["--max-semi-space-size=2"]);
    const run = spawnSync(process.execPath, [...flags, "-e", "0"], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("maps each user_config entry to an env variable the code reads", () => {
    const readByCode = new Set([...(read("src/config/load.ts") + read("src/wallet/loadWallet.ts")).matchAll(/env\.(X402_[A-Z_]+)/g)].map((m) => m[1]));
    expect(Object.keys(env).sort()).toEqual(["X402_DAILY_BUDGET", "X402_MAX_PER_CALL", "X402_NETWORKS", "X402_PRIVATE_KEY", "X402_SESSION_BUDGET"]);
    for (const name of Object.keys(env)) expect(readByCode.has(name), `${name} is not read by src/config/load.ts or src/wallet/loadWallet.ts`).toBe(true);
    const referenced = Object.values(env).map((template) => /^\$\{user_config\.(\w+)\}$/.exec(template)?.[1]);
    expect(referenced.sort()).toEqual(Object.keys(userConfig).sort());
  });

  it("asks for the key as a required secret, and offers the budgets with the config's defaults", () => {
    expect(env.X402_PRIVATE_KEY).toBe("${user_config.private_key}");
    expect(userConfig.private_key).toMatchObject({ type: "string", sensitive: true, required: true });
    expect(userConfig.private_key).not.toHaveProperty("default");
    const defaults = ConfigSchema.parse({});
    expect(userConfig.max_per_call?.default).toBe("0.10");
    expect(userConfig.session_budget?.default).toBe("1.00");
    expect(userConfig.daily_budget?.default).toBe("5.00");
    expect(defaults.budget).toEqual({ perCall: "0.10", perSession: "1.00", perDay: "5.00" });
    expect(userConfig.networks?.default).toBe(DEFAULT_NETWORKS.join(","));
    for (const [name, entry] of Object.entries(userConfig)) if (name !== "private_key") expect(entry.sensitive, name).not.toBe(true);
  });

  it("the env a bundle host builds from user_config configures the server as intended", () => {
    const key = generatePrivateKey();
    const installed = envAsInstalled({ private_key: key, max_per_call: "0.05", session_budget: "2.00", daily_budget: "9.50", networks: "eip155:84532" });
    const config = loadConfig({ env: installed });
    expect(config.budget).toEqual({ perCall: "0.05", perSession: "2.00", perDay: "9.50" });
    expect(config.networks).toEqual(["eip155:84532"]);
    expect(loadWallet(installed)?.address).toBe(privateKeyToAccount(key).address);

    const withDefaults = envAsInstalled({
      private_key: key,
      ...Object.fromEntries(Object.entries(userConfig).flatMap(([name, entry]) => (entry.default === undefined ? [] : [[name, entry.default]]))),
    });
    expect(loadConfig({ env: withDefaults })).toEqual(ConfigSchema.parse({}));
  });

  it("lists exactly the tools the server registers", async () => {
    const config = ConfigSchema.parse({ networks: ["eip155:84532"], rpc: { "eip155:84532": "http://127.0.0.1:9" }, ledger: join(mkdtempSync(join(tmpdir(), "x402-manifest-")), "ledger.jsonl") });
    const rt = await createRuntime({ config, account: null, logger: { log: () => undefined } });
    const server = createServer(rt);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: "manifest-test", version: "1" });
    await server.connect(serverSide);
    await client.connect(clientSide);
    try {
      const { tools } = await client.listTools();
      expect((manifest.tools as { name: string }[]).map((t) => t.name).sort()).toEqual(tools.map((t) => t.name).sort());
    } finally {
      await client.close();
      await rt.close();
    }
  });
});
