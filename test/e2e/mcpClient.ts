import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  ElicitRequestSchema,
  type CallToolResult,
  type ElicitRequest,
  type ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import type { ConfigInput } from "../../src/config/schema.js";

export const SERVER_ENTRY = resolve(import.meta.dirname, "../../dist/index.js");
const STDOUT_TAP = pathToFileURL(resolve(import.meta.dirname, "stdoutTap.mjs")).href;

export interface McpSession {
  client: Client;
  /** The server's process id (for kill -9 tests). */
  pid: number | null;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Every tool result seen, serialized: for checks that a secret never appears. */
  transcript(): string;
  close(): Promise<void>;
}

/** Writes a config file; each gets its own ledger in a temp folder unless it names one. */
export function writeConfig(config: ConfigInput): string {
  const dir = mkdtempSync(join(tmpdir(), "x402-mcp-"));
  const path = join(dir, "config.json");
  writeFileSync(path, JSON.stringify({ ledger: join(dir, "ledger.jsonl"), ...config }));
  return path;
}

/** Spawns the built server as an MCP client would (the SDK's own Client over stdio). */
export interface StartOptions {
  config: ConfigInput;
  /** The server's entry file; the built dist/index.js by default (the bundle test starts the bundle). */
  entry?: string;
  env?: Record<string, string>;
  /** Copies every byte the server writes to stdout into this file. */
  tapStdout?: string;
  /** Declares elicitation support and answers `elicitation/create` requests with this. */
  onElicit?: (request: ElicitRequest["params"]) => Promise<ElicitResult>;
  /** The elicitation modes declared with `onElicit`; form only by default. */
  elicitation?: { form?: Record<string, unknown>; url?: Record<string, unknown> };
}

export async function startMcp(options: StartOptions): Promise<McpSession> {
  const configPath = writeConfig(options.config);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [options.entry ?? SERVER_ENTRY, "--config", configPath],
    env: {
      PATH: process.env.PATH ?? "",
      ...(options.tapStdout ? { NODE_OPTIONS: `--import=${STDOUT_TAP}`, X402_TEST_STDOUT_TAP: options.tapStdout } : {}),
      ...options.env,
    },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const client = new Client(
    { name: "x402-e2e", version: "1.0.0" },
    { capabilities: options.onElicit ? { elicitation: options.elicitation ?? { form: {} } } : {} },
  );
  const onElicit = options.onElicit;
  if (onElicit) client.setRequestHandler(ElicitRequestSchema, (request) => onElicit(request.params));
  await client.connect(transport);
  const results: string[] = [];
  return {
    client,
    pid: transport.pid,
    async call(name, args = {}) {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      results.push(JSON.stringify(result));
      return result;
    },
    stderr: () => stderr,
    transcript: () => results.join("\n"),
    close: () => client.close(),
  };
}

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}
