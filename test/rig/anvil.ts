import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";

export interface AnvilHandle {
  rpcUrl: string;
  port: number;
  stop(): Promise<void>;
}

const ANVIL_PACKAGE = "@foundry-rs/anvil-linux-amd64";

export function resolveAnvilBinary(): string {
  const fromEnv = process.env.ANVIL_BIN;
  let bin: string;
  if (fromEnv) {
    bin = fromEnv;
  } else {
    try {
      const pkgJson = createRequire(import.meta.url).resolve(`${ANVIL_PACKAGE}/package.json`);
      bin = join(dirname(pkgJson), "bin", "anvil");
    } catch {
      throw new Error(
        `test rig: anvil binary not found: install the optional dependency ${ANVIL_PACKAGE} or set ANVIL_BIN`,
      );
    }
  }
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new Error(
      `test rig: anvil binary "${bin}" is missing or not executable: ` +
        `install the optional dependency ${ANVIL_PACKAGE} or set ANVIL_BIN`,
    );
  }
  return bin;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("test rig: could not get a free port"))));
    });
  });
}

/**
 * Watchdog wrapper: `sh` starts anvil, then blocks reading the pipe from this process. When the
 * pipe closes — stop(), or this process dying in any way, even SIGKILL where no 'exit' handler
 * runs — it kills anvil, so no orphan outlives the test run.
 */
const WATCHDOG = `
exec 3<&0
"$0" "$@" </dev/null &
a=$!
( cat <&3 >/dev/null; kill -9 "$a" 2>/dev/null ) &
exec 3<&-
wait "$a"
`;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Belt and braces next to the watchdog: on a normal exit kill synchronously, right now.
  process.on("exit", () => {
    for (const child of live) killGroup(child);
  });
}

export async function startAnvil(opts: { chainId: number }): Promise<AnvilHandle> {
  const bin = resolveAnvilBinary();
  let lastError: Error | undefined;
  // A port picked by freePort() can be grabbed by someone else before anvil binds it; retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await launch(bin, port, opts.chainId);
    } catch (err) {
      lastError = err as Error;
      if (!/address already in use|os error 98/i.test(lastError.message)) break;
    }
  }
  throw lastError ?? new Error("test rig: anvil failed to start");
}

async function launch(bin: string, port: number, chainId: number): Promise<AnvilHandle> {
  const args = ["--chain-id", String(chainId), "--port", String(port), "--host", "127.0.0.1", "--quiet"];
  const child = spawn("/bin/sh", ["-c", WATCHDOG, bin, ...args], {
    stdio: ["pipe", "ignore", "pipe"],
    // Own process group, so stop() can take down sh, cat and anvil together.
    detached: true,
  });
  installExitHook();
  live.add(child);

  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      live.delete(child);
      child.stdin?.destroy();
      resolve();
    });
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  child.once("error", () => undefined);

  const rpcUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (hasExited) {
      throw new Error(`test rig: anvil exited during startup: ${stderr.trim() || "(no output)"}`);
    }
    if (await answersChainId(rpcUrl, chainId)) break;
    if (Date.now() > deadline) {
      killGroup(child);
      throw new Error(`test rig: anvil did not answer on ${rpcUrl} within 15s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }

  let stopping: Promise<void> | undefined;
  return {
    rpcUrl,
    port,
    stop() {
      stopping ??= (async () => {
        if (hasExited) return;
        child.stdin?.end();
        const timer = setTimeout(() => killGroup(child), 2000);
        await exited;
        clearTimeout(timer);
        killGroup(child); // reap the watchdog's `cat` if anything is still around
      })();
      return stopping;
    },
  };
}

async function answersChainId(rpcUrl: string, chainId: number): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    const body = (await res.json()) as { result?: string };
    return body.result !== undefined && Number(body.result) === chainId;
  } catch {
    return false;
  }
}
