import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, type Rig } from "../rig/index.js";
import { SERVER_ENTRY, writeConfig } from "./mcpClient.js";

// Recognisable on purpose: any echo of it, in any case, with or without 0x, is found.
const KEY_HEX = "c0ffee00deadbeef".repeat(4);
const KEY = `0x${KEY_HEX}` as const;

/** Drives the server with raw JSON-RPC lines so every byte of stdout and stderr is seen. */
async function rawSession(env: Record<string, string>, configPath: string, calls: Array<{ name: string; arguments: Record<string, unknown> }>) {
  const child = spawn(process.execPath, [SERVER_ENTRY, "--config", configPath], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const pending = new Map<number, (message: any) => void>();
  createInterface({ input: child.stdout }).on("line", (line) => {
    stdout += `${line}\n`;
    const message = JSON.parse(line);
    pending.get(message.id)?.(message);
  });
  let nextId = 1;
  const request = (method: string, params: unknown) =>
    new Promise<any>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  await request("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } });
  child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
  const results = [];
  for (const call of calls) results.push(await request("tools/call", call));
  child.stdin.end();
  await new Promise((resolve) => child.once("exit", resolve));
  return { stdout, stderr, results };
}

describe("the private key never leaves the process", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
    await rig.mint(privateKeyToAccount(KEY).address, 1_000_000n);
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it("appears in no stdout, stderr or tool result over paid, refused and failed calls", async () => {
    const config = writeConfig({ networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, hosts: { allowPrivate: true } });
    const { stdout, stderr, results } = await rawSession({ X402_PRIVATE_KEY: KEY }, config, [
      { name: "paid_fetch", arguments: { url: `${rig.v2.url}/paid` } },
      { name: "paid_fetch", arguments: { url: `${rig.v1.url}/paid` } },
      { name: "paid_fetch", arguments: { url: `${rig.v2.url}/expensive` } },
      { name: "paid_fetch", arguments: { url: "file:///etc/passwd" } },
      { name: "paid_fetch", arguments: { url: "http://127.0.0.1:9/closed" } },
      { name: "wallet_balance", arguments: {} },
    ]);
    expect(results[0].result.structuredContent.payment.status).toBe("verified");
    expect(results[1].result.structuredContent.payment.status).toBe("verified");
    expect(results[2].result.isError).toBe(true);
    expect(results[3].result?.isError ?? results[3].error).toBeTruthy();
    expect(results[4].result.content[0].text).toMatch(/^\[HTTP_ERROR\]/);
    const everything = `${stdout}\n${stderr}\n${JSON.stringify(results)}`.toLowerCase();
    expect(everything).not.toContain(KEY_HEX.toLowerCase());
    // stdout carries JSON-RPC only.
    for (const line of stdout.trim().split("\n")) expect(JSON.parse(line).jsonrpc).toBe("2.0");
  });

  it("refuses a malformed key at start-up without echoing it", async () => {
    const bad = `0x${"zz".repeat(32)}`;
    const child = spawn(process.execPath, [SERVER_ENTRY], { env: { PATH: process.env.PATH ?? "", X402_PRIVATE_KEY: bad } });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/X402_PRIVATE_KEY does not hold a private key/);
    expect(stderr).not.toContain("zz".repeat(32));
  });
});
