#!/usr/bin/env node
import { parseArgs } from "node:util";
import { formatError } from "./errors.js";
import { VERSION } from "./version.js";

/**
 * The bin: argv → a CLI command or the stdio server. Everything past this file is imported
 * on demand: the server loads no CLI command (only the key-exposure check, when a key is
 * set), a command loads no server, and `--version` loads neither.
 */

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  init: async () => (await import("./cli/init.js")).runInit,
  doctor: async () => (await import("./cli/doctor.js")).runDoctor,
  balance: async () => (await import("./cli/balance.js")).runBalance,
  receipts: async () => (await import("./cli/receipts.js")).runReceipts,
  dashboard: async () => (await import("./cli/dashboard.js")).runDashboard,
  agent: async () => (await import("./cli/agent.js")).runAgent,
  ledger: async () => (await import("./cli/ledgerImport.js")).runLedgerImport,
  permit2: async () => (await import("./cli/permit2.js")).runPermit2,
};

async function main(argv: string[]): Promise<number | undefined> {
  const [first, ...rest] = argv;
  if (first === "serve") {
    const options = parseServeArgs(rest);
    if (options === "help") return printHelp();
    await serve(options);
    return undefined;
  }
  if (first !== undefined && !first.startsWith("-")) {
    if (!Object.hasOwn(COMMANDS, first)) throw new ArgvError(`unknown command "${first}"`);
    if (rest.includes("--help")) return printHelp();
    const run = await COMMANDS[first]!();
    return run(rest);
  }
  let values;
  try {
    values = parseArgs({ args: argv, options: { config: { type: "string" }, help: { type: "boolean" }, version: { type: "boolean" } }, strict: true }).values;
  } catch (error) {
    throw new ArgvError((error as Error).message);
  }
  if (values.help) return printHelp();
  if (values.version) {
    process.stdout.write(`${VERSION}\n`); // stdout-ok: CLI output, the server is not running
    return 0;
  }
  await serve({ configPath: values.config });
  return undefined;
}

interface ServeOptions {
  configPath?: string | undefined;
  /** Streamable HTTP instead of stdio; host and port override config `http.listen`. */
  http?: { host?: string | undefined; port?: number | undefined };
}

function parseServeArgs(args: string[]): ServeOptions | "help" {
  let values;
  try {
    values = parseArgs({
      args,
      options: { config: { type: "string" }, http: { type: "boolean" }, host: { type: "string" }, port: { type: "string" }, help: { type: "boolean" } },
      strict: true,
    }).values;
  } catch (error) {
    throw new ArgvError(`serve: ${(error as Error).message}`);
  }
  if (values.help) return "help";
  if (!values.http) {
    if (values.host !== undefined || values.port !== undefined) throw new ArgvError("serve: --host and --port need --http (stdio has no address)");
    return { configPath: values.config };
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d{1,5}$/.test(values.port) || port > 65535) throw new ArgvError(`serve: --port "${values.port}" is not a port number (0-65535)`);
  }
  if (values.host !== undefined && values.host.trim() === "") throw new ArgvError("serve: --host is empty");
  return { configPath: values.config, http: { host: values.host, port } };
}

/**
 * The server: stdio (stdout carries JSON-RPC only, everything else goes to stderr), or
 * Streamable HTTP until SIGINT/SIGTERM.
 */
async function serve({ configPath, http }: ServeOptions): Promise<void> {
  // Before the modules load: they are what first grows the young generation. Only for one
  // client on stdio, where memory is what the machine notices; a fleet's HTTP server under
  // concurrent calls pays for small semi-spaces in scavenges (throughput bench, 8 callers:
  // 10-20% fewer paid calls/s), and its operator sets node's flags.
  if (!http) (await import("./server/youngGeneration.js")).holdYoungGeneration();
  const [{ loadConfig }, { loadWallet }, { loadSolanaWallet }, { createRuntime }, { serveStdio }, { stderrLogger }] = await Promise.all([
    import("./config/load.js"),
    import("./wallet/loadWallet.js"),
    import("./wallet/loadSolanaWallet.js"),
    import("./runtime.js"),
    import("./server/stdio.js"),
    import("./log.js"),
  ]);
  const config = loadConfig({ configPath });
  const account = loadWallet();
  const solana = loadSolanaWallet();
  if (!account && !solana) {
    stderrLogger.log("warning", "no wallet key configured (X402_PRIVATE_KEY or X402_KEY_FILE; X402_SOLANA_PRIVATE_KEY or X402_SOLANA_KEY_FILE); paid requests will be refused");
  }
  const [rt] = await Promise.all([
    createRuntime({ config, account, signers: { solana } }),
    account || solana ? warnIfKeyInClientConfigs((message) => stderrLogger.log("warning", message)) : undefined,
  ]);
  stderrLogger.log("info", `started: wallet ${account?.address ?? "none"}${solana ? `, Solana wallet ${solana.address}` : ""}, networks ${config.networks.join(", ")}, per call ${config.budget.perCall} USD, per session ${config.budget.perSession} USD, per day ${config.budget.perDay} USD`);
  if (!http) return serveStdio(rt);
  const { serveHttp } = await import("./server/http.js");
  const handle = await serveHttp(rt, { host: http.host ?? config.http.listen.host, port: http.port ?? config.http.listen.port });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  stderrLogger.log("info", "shutting down: closing sessions (what they spent stays counted)");
  await handle.close();
  await rt.close();
}

/** A key pasted into an MCP client's config file is readable by any program of the user: say so at start-up. */
async function warnIfKeyInClientConfigs(warn: (message: string) => void): Promise<void> {
  const exposure = await import("./cli/keyExposure.js");
  const files = exposure.clientConfigFiles(process.env, process.cwd());
  const keyHex = exposure.configuredKeyHex(process.env);
  if (keyHex) for (const file of await exposure.findKeyInClientConfigs(keyHex, files)) warn(exposure.exposureWarning(file, "evm"));
  const solanaForms = exposure.configuredSolanaKeyForms(process.env);
  if (solanaForms.length > 0) for (const file of await exposure.findSolanaKeyInClientConfigs(solanaForms, files)) warn(exposure.exposureWarning(file, "solana"));
}

async function printHelp(): Promise<number> {
  const { HELP } = await import("./cli/help.js");
  process.stdout.write(HELP); // stdout-ok: CLI output, the server is not running
  return 0;
}

/** A usage mistake found here, before any CLI module is loaded; handled like the commands' UsageError. */
class ArgvError extends Error {
  override name = "UsageError";
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  async (error: unknown) => {
    const message =
      error instanceof Error && error.name === "UsageError"
        ? `${error.message}\n\n${(await import("./cli/help.js")).HELP}`
        : `${formatError(error)}\n`;
    // Exit even if a half-built runtime still holds sockets or files open.
    process.stderr.write(`x402-wallet-mcp: ${message}`, () => process.exit(1));
  },
);
