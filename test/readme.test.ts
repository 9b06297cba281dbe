import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/load.js";

const root = resolve(import.meta.dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name: string; bin: Record<string, string> };

interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

function snippet(name: string): string {
  const match = new RegExp(`<!-- snippet: ${name} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match?.[1]) throw new Error(`README has no snippet "${name}"`);
  return match[1];
}

function fromJson(text: string, section: "mcpServers" | "servers"): Launch {
  const server = (JSON.parse(text) as Record<string, Record<string, Launch & { type?: string }>>)[section]!["x402-wallet"]!;
  if (section === "servers") expect(server.type).toBe("stdio");
  return { command: server.command, args: server.args, env: server.env };
}

/** `claude mcp add NAME --env K=V … -- cmd args` and `inspector -e K=V … -- cmd args`. */
function fromCommandLine(text: string, envFlag: string): Launch {
  const words = text.trim().split(/\s+/);
  const dashes = words.indexOf("--");
  const env: Record<string, string> = {};
  words.slice(0, dashes).forEach((word, i) => {
    if (word === envFlag) {
      const [key, ...value] = words[i + 1]!.split("=");
      env[key!] = value.join("=");
    }
  });
  const [command, ...args] = words.slice(dashes + 1);
  return { command: command!, args, env };
}

const snippets: Record<string, () => Launch> = {
  "claude-desktop": () => fromJson(snippet("claude-desktop"), "mcpServers"),
  cursor: () => fromJson(snippet("cursor"), "mcpServers"),
  vscode: () => fromJson(snippet("vscode"), "servers"),
  "claude-code": () => fromCommandLine(snippet("claude-code").replace(/^claude mcp add x402-wallet/, ""), "--env"),
  inspector: () => fromCommandLine(snippet("inspector").replace(/^npx @modelcontextprotocol\/inspector/, ""), "-e"),
};

describe("README client snippets", () => {
  it("mcp.config.example.json is the Claude Desktop snippet", () => {
    expect(JSON.parse(readFileSync(join(root, "mcp.config.example.json"), "utf8"))).toEqual(JSON.parse(snippet("claude-desktop")));
  });

  it.each(Object.keys(snippets))("%s: the snippet starts this package's server with a valid config", async (name) => {
    const launch = snippets[name]!();
    // `npx -y x402-wallet-mcp` runs this package's bin: the bundle that `npm run build` writes.
    expect(launch.command).toBe("npx");
    expect(launch.args).toEqual(["-y", pkg.name]);
    expect(pkg.bin[pkg.name]).toBe("bundle/index.js");
    expect(launch.env.X402_KEY_FILE).toMatch(/x402-wallet-mcp\/key$/);

    const key = generatePrivateKey();
    const keyFile = join(mkdtempSync(join(tmpdir(), "x402-readme-")), "key");
    writeFileSync(keyFile, key, { mode: 0o600 });
    const env = { ...launch.env, X402_KEY_FILE: keyFile, X402_LEDGER: join(keyFile, "..", "ledger.jsonl") };
    expect(() => loadConfig({ env })).not.toThrow();

    const transport = new StdioClientTransport({ command: process.execPath, args: [join(root, pkg.bin[pkg.name]!)], env: { PATH: process.env.PATH ?? "", ...env }, stderr: "pipe" });
    let stderr = "";
    transport.stderr?.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const client = new Client({ name: "readme", version: "1" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("paid_fetch");
      expect(stderr).toContain(`wallet ${privateKeyToAccount(key).address}`);
    } finally {
      await client.close();
    }
  });
});
