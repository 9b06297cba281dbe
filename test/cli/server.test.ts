import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { generatePrivateKey } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { encodeBase58 } from "../../src/chains/solana/base58.js";
import { SERVER_ENTRY } from "../e2e/mcpClient.js";
import { closedPort, containsKey, runCli, tempHome, writeConfig } from "./run.js";

const MODULE_TAP = pathToFileURL(resolve(import.meta.dirname, "moduleTap.mjs")).href;

interface ServerRun {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Starts the stdio server, waits for its start-up line, closes stdin (the client leaving) and collects everything. */
function startAndStop(env: Record<string, string>, cwd: string, configPath: string): Promise<ServerRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [SERVER_ENTRY, "--config", configPath], { env, cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not start and stop in time; stderr: ${stderr}`));
    }, 20_000);
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
      if (stderr.includes("info: started:")) child.stdin.end();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ stdout, stderr, code });
    });
  });
}

async function serverSetup() {
  const { dir, env } = tempHome();
  const rpc = `http://127.0.0.1:${await closedPort()}`;
  const config = writeConfig({ networks: ["eip155:84532"], rpc: { "eip155:84532": rpc } });
  return { dir, env, config };
}

function write(path: string, text: string): string {
  mkdirSync(resolve(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

describe("the server's start-up warning for a key in plain text in an MCP client config", () => {
  const claudeDesktopBlock = (key: string) =>
    JSON.stringify({ mcpServers: { "x402-wallet": { command: "npx", args: ["-y", "x402-wallet-mcp"], env: { X402_PRIVATE_KEY: key } } } }, null, 2);

  it("names Claude Desktop's config file when the key in use is in it; the key itself is never printed", async () => {
    const { dir, env, config } = await serverSetup();
    const key = generatePrivateKey();
    const file = write(join(dir, ".config", "Claude", "claude_desktop_config.json"), claudeDesktopBlock(key));
    const run = await startAndStop({ ...env, X402_PRIVATE_KEY: key }, dir, config);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    const warnings = run.stderr.split("\n").filter((l) => l.includes("in plain text"));
    expect(warnings).toEqual([
      `[x402-wallet-mcp] warning: the wallet's private key is written in plain text in ${file} (Claude Desktop): any program that can read that file can spend the wallet's funds. Put the key in a file only you can read (chmod 600), set X402_KEY_FILE to that file's path in the server's env instead of X402_PRIVATE_KEY, and delete the key from ${file}.`,
    ]);
    expect(containsKey(run.stderr, key)).toBe(false);
  });

  it("names the client config holding the Solana key too (base58), with the Solana variables in the fix; the key never printed", async () => {
    const { dir, env, config } = await serverSetup();
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const secret = Buffer.concat([privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32), publicKey.export({ format: "der", type: "spki" }).subarray(-32)]);
    const key = encodeBase58(new Uint8Array(secret));
    const file = write(join(dir, ".cursor", "mcp.json"), JSON.stringify({ mcpServers: { w: { env: { X402_SOLANA_PRIVATE_KEY: key } } } }));
    const run = await startAndStop({ ...env, X402_SOLANA_PRIVATE_KEY: key }, dir, config);
    expect(run.code).toBe(0);
    expect(run.stderr.split("\n").filter((l) => l.includes("in plain text"))).toEqual([
      `[x402-wallet-mcp] warning: the wallet's Solana key is written in plain text in ${file} (Cursor): any program that can read that file can spend the wallet's funds. Put the key in a file only you can read (chmod 600), set X402_SOLANA_KEY_FILE to that file's path in the server's env instead of X402_SOLANA_PRIVATE_KEY, and delete the key from ${file}.`,
    ]);
    expect(run.stderr.includes(key) || run.stdout.includes(key)).toBe(false);
  });

  it("finds it without 0x and in upper case, in ~/.claude.json, ~/.cursor/mcp.json and the project's .vscode/mcp.json, also for a key from X402_KEY_FILE", async () => {
    const { dir, env, config } = await serverSetup();
    const key = generatePrivateKey();
    const bare = key.slice(2).toUpperCase();
    const project = join(dir, "project");
    const claudeCode = write(join(dir, ".claude.json"), JSON.stringify({ projects: {}, mcpServers: { w: { env: { X402_PRIVATE_KEY: bare } } } }));
    const cursor = write(join(dir, ".cursor", "mcp.json"), claudeDesktopBlock(key));
    const vscode = write(join(project, ".vscode", "mcp.json"), JSON.stringify({ servers: { w: { env: { X402_PRIVATE_KEY: key } } } }));
    const keyFile = write(join(dir, "key"), `${key}\n`);
    const run = await startAndStop({ ...env, X402_KEY_FILE: keyFile }, project, config);
    const named = run.stderr.split("\n").filter((l) => l.includes("in plain text")).map((l) => /in plain text in (.+?) \(/.exec(l)?.[1]);
    expect(named.sort()).toEqual([claudeCode, cursor, vscode].sort());
    expect(containsKey(run.stderr, key)).toBe(false);
  });

  it("stays silent when the client config holds another key or no key", async () => {
    const { dir, env, config } = await serverSetup();
    const key = generatePrivateKey();
    write(join(dir, ".config", "Claude", "claude_desktop_config.json"), claudeDesktopBlock(generatePrivateKey()));
    write(join(dir, ".claude.json"), JSON.stringify({ mcpServers: { w: { env: { X402_KEY_FILE: "/somewhere/key" } } } }));
    const run = await startAndStop({ ...env, X402_PRIVATE_KEY: key }, dir, config);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("info: started: wallet 0x");
    expect(run.stderr).not.toContain("plain text");
  });
});

describe("start-up loads only what it needs", () => {
  const loaded = (tap: string) => readFileSync(tap, "utf8").split("\n").filter(Boolean);
  const cliModules = (urls: string[]) => urls.filter((u) => u.includes("/dist/cli/")).map((u) => u.slice(u.lastIndexOf("/dist/") + 1));

  it("the server loads no CLI module without a key, and only the key check with one", async () => {
    const { dir, env, config } = await serverSetup();
    const tapNoKey = join(dir, "modules-no-key.txt");
    await startAndStop({ ...env, NODE_OPTIONS: `--import=${MODULE_TAP}`, X402_TEST_MODULE_TAP: tapNoKey }, dir, config);
    const withoutKey = loaded(tapNoKey);
    expect(withoutKey.some((u) => u.endsWith("/dist/server/stdio.js"))).toBe(true);
    expect(cliModules(withoutKey)).toEqual([]);
    // The Redis client is imported only when the config names a Redis store.
    expect(withoutKey.filter((u) => /\/node_modules\/ioredis\/|\/dist\/budget\/redis/.test(u))).toEqual([]);

    const tapKey = join(dir, "modules-key.txt");
    await startAndStop({ ...env, NODE_OPTIONS: `--import=${MODULE_TAP}`, X402_TEST_MODULE_TAP: tapKey, X402_PRIVATE_KEY: generatePrivateKey() }, dir, config);
    expect(cliModules(loaded(tapKey))).toEqual(["dist/cli/keyExposure.js"]);
  });

  it("--version loads neither the server nor viem", async () => {
    const { dir, env } = tempHome();
    const tap = join(dir, "modules.txt");
    const result = await runCli(["--version"], { ...env, NODE_OPTIONS: `--import=${MODULE_TAP}`, X402_TEST_MODULE_TAP: tap });
    expect(result.code).toBe(0);
    const urls = loaded(tap);
    expect(urls.some((u) => u.endsWith("/dist/index.js"))).toBe(true);
    expect(urls.filter((u) => /\/dist\/(server|runtime|cli)\b|\/node_modules\//.test(u))).toEqual([]);
  });
});
