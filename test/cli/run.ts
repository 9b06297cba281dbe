import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SERVER_ENTRY } from "../e2e/mcpClient.js";

export { writeConfig } from "../e2e/mcpClient.js";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A fresh home: HOME and the XDG folders point into a temp dir, so nothing touches the real one. */
export function tempHome(): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), "x402-cli-"));
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, ".config"),
    XDG_DATA_HOME: join(dir, ".local", "share"),
    XDG_CACHE_HOME: join(dir, ".cache"),
    XDG_STATE_HOME: join(dir, ".local", "state"),
  };
  return { dir, env };
}

/** Runs the built bin as a user would, with exactly `env` (no inherited variables). */
export function runCli(args: string[], env: Record<string, string>, options: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [SERVER_ENTRY, ...args], { env, cwd: options.cwd ?? env.HOME, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`x402-wallet-mcp ${args.join(" ")} did not exit within ${options.timeoutMs ?? 30_000} ms\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** A loopback port nothing listens on. */
export function closedPort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

/** Rows of doctor's table as [STATUS, CHECK, DETAIL…] keyed by check name; the fix line is kept with its row. */
export function doctorRows(stdout: string): Map<string, { status: string; text: string }> {
  const rows = new Map<string, { status: string; text: string }>();
  let current: { status: string; text: string } | undefined;
  for (const line of stdout.split("\n").slice(1)) {
    const match = /^(PASS|WARN|FAIL|SKIP)\s{2,}(.+?)\s{2,}(.*)$/.exec(line);
    if (match) {
      current = { status: match[1]!, text: match[3]! };
      rows.set(match[2]!, current);
    } else if (current && line.startsWith(" ")) {
      current.text += `\n${line.trim()}`;
    } else {
      current = undefined;
    }
  }
  return rows;
}

/** Asserts-friendly: does any form of the key (with or without 0x, any case) appear in `text`? */
export function containsKey(text: string, key: string): boolean {
  return text.toLowerCase().includes(key.replace(/^0x/i, "").toLowerCase());
}
