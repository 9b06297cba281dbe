#!/usr/bin/env node
import { parseArgs } from "node:util";
import { loadConfig } from "./config/load.js";
import { formatError } from "./errors.js";
import { stderrLogger } from "./log.js";
import { createRuntime } from "./runtime.js";
import { serveStdio } from "./server/stdio.js";
import { VERSION } from "./version.js";
import { loadWallet } from "./wallet/loadWallet.js";

const HELP = `x402-wallet-mcp ${VERSION}: an MCP server (stdio) that pays x402 APIs within your caps.

Usage: x402-wallet-mcp [--config PATH]

Options:
  --config PATH   JSON config file (or env X402_WALLET_CONFIG)
  --help          show this help
  --version       print the version

Environment:
  X402_PRIVATE_KEY     the wallet key (0x + 64 hex); or X402_KEY_FILE, a file holding it
  X402_MAX_PER_CALL    per-call limit in USD (default 0.10)
  X402_SESSION_BUDGET  per-session limit in USD (default 1.00)
  X402_DAILY_BUDGET    rolling 24 h limit in USD across restarts and processes (default 5.00)
  X402_LEDGER          path of the spending ledger (default: the user's data directory)
  X402_NETWORKS        comma list of CAIP-2 networks (default eip155:8453,eip155:84532)
`;

function readArgs() {
  try {
    return parseArgs({
      options: {
        config: { type: "string" },
        help: { type: "boolean" },
        version: { type: "boolean" },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`x402-wallet-mcp: ${(error as Error).message}\n\n${HELP}`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const values = readArgs();
  if (values.help) {
    process.stdout.write(HELP); // stdout-ok: CLI output, the server is not running
    return;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`); // stdout-ok: CLI output, the server is not running
    return;
  }
  const config = loadConfig({ configPath: values.config });
  const account = loadWallet();
  if (!account) stderrLogger.log("warning", "no wallet key configured (X402_PRIVATE_KEY or X402_KEY_FILE); paid requests will be refused");
  const rt = await createRuntime({ config, account });
  stderrLogger.log("info", `started: wallet ${account?.address ?? "none"}, networks ${config.networks.join(", ")}, per call ${config.budget.perCall} USD, per session ${config.budget.perSession} USD, per day ${config.budget.perDay} USD`);
  await serveStdio(rt);
}

main().catch((error: unknown) => {
  process.stderr.write(`x402-wallet-mcp: ${formatError(error)}\n`);
  process.exit(1);
});
