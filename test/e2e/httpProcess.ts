import { spawn, type ChildProcess } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { SERVER_ENTRY } from "./mcpClient.js";

export interface HttpServerProcess {
  child: ChildProcess;
  /** The MCP endpoint the server printed, e.g. http://127.0.0.1:40123/mcp. */
  url: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  stop(): Promise<number | null>;
}

/** Spawns `x402-wallet-mcp serve --http --port 0` as a user would and waits for its listening line. */
export async function startHttpServer(options: { configPath: string; env: Record<string, string>; timeoutMs?: number }): Promise<HttpServerProcess> {
  const child = spawn(process.execPath, [SERVER_ENTRY, "serve", "--http", "--port", "0", "--config", options.configPath], {
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve --http printed no listening line within ${options.timeoutMs ?? 15_000} ms; stderr: ${stderr}`)), options.timeoutMs ?? 15_000);
    child.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
      const match = /Streamable HTTP at (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`serve --http exited (${code}) before listening; stderr: ${stderr}`)));
  });
  return {
    child,
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * An MCP SDK Client on a Streamable HTTP server, with an optional bearer token. A call whose
 * server died gets no answer; it fails after `timeoutMs` (the SDK's default is 60 s).
 */
export async function connectHttp(url: string, token?: string, { timeoutMs }: { timeoutMs?: number } = {}) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: token ? { authorization: `Bearer ${token}` } : {} },
  });
  const client = new Client({ name: "x402-e2e-http", version: "1" });
  await client.connect(transport);
  return {
    client,
    call: async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args }, undefined, timeoutMs === undefined ? undefined : { timeout: timeoutMs })) as CallToolResult,
    close: () => client.close(),
  };
}
