import { chmodSync, lstatSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { ConfigSchema } from "../config/schema.js";
import { formatError } from "../errors.js";
import { loadWallet } from "../wallet/loadWallet.js";
import { keyFilePath } from "./keyPath.js";
import { formatTable, print, printError, shellQuote } from "./output.js";
import { parseCommandArgs } from "./usage.js";

/**
 * `x402-wallet-mcp init`: a new key in a file only the user can read, and the lines to paste
 * into an MCP client. Never overwrites a key file: that file may be the only copy of a key
 * whose address holds funds. The key goes into the file and nowhere else.
 */
export async function runInit(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  parseCommandArgs("init", args, {});
  const path = keyFilePath(env);
  if (exists(path)) {
    printError(refusal(path));
    return 1;
  }
  const folder = dirname(path);
  if (mkdirSync(folder, { recursive: true, mode: 0o700 }) !== undefined) {
    chmodSync(folder, 0o700); // mkdir's mode is filtered by the umask
  } else if (process.platform !== "win32" && (statSync(folder).mode & 0o077) !== 0) {
    printError(`x402-wallet-mcp init: note: the folder ${folder} is readable by other users; the key file itself is made readable by you only.`);
  }
  const key = generatePrivateKey();
  try {
    // "wx": created here or not at all, even if another init races this one.
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      printError(refusal(path));
      return 1;
    }
    throw new Error(`cannot write the key file ${path}: ${(error as NodeJS.ErrnoException).code ?? "write failed"}`);
  }
  chmodSync(path, 0o600);
  print(setupInstructions(privateKeyToAccount(key).address, path));
  return 0;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

function refusal(path: string): string {
  let wallet: string;
  try {
    const account = loadWallet({ X402_KEY_FILE: path });
    wallet = account ? `wallet ${account.address}` : "its address could not be read";
  } catch (error) {
    wallet = `its address could not be read: ${formatError(error)}`;
  }
  return [
    `x402-wallet-mcp init: a key file already exists at ${path} (${wallet}). It was left unchanged.`,
    `To use it, set X402_KEY_FILE=${path} in your MCP client's config for this server, then run \`x402-wallet-mcp doctor\`.`,
    "To create another wallet, set X402_KEY_FILE to a new path and run init again. Never delete a key whose address still holds funds.",
  ].join("\n");
}

const SERVER_NAME = "x402-wallet";

/** The budget variables with the config's defaults, so the pasted block shows what can be tuned. */
function budgetEnv(): Record<string, string> {
  const { budget } = ConfigSchema.parse({});
  return { X402_MAX_PER_CALL: budget.perCall, X402_SESSION_BUDGET: budget.perSession, X402_DAILY_BUDGET: budget.perDay };
}

/** `["-y", "x402-wallet-mcp"]` on one line, as people write it in these files. */
function compactArrays(json: string): string {
  return json.replace(/\[\n([^[\]{}]*)\n\s*\]/g, (_, items: string) => `[${items.split(",\n").map((item) => item.trim()).join(", ")}]`);
}

function setupInstructions(address: string, path: string): string {
  const env = { X402_KEY_FILE: path, ...budgetEnv() };
  const block = { mcpServers: { [SERVER_NAME]: { command: "npx", args: ["-y", "x402-wallet-mcp"], env } } };
  const claudeAdd = [
    "claude mcp add",
    SERVER_NAME,
    ...Object.entries(env).map(([name, value]) => `--env ${shellQuote(`${name}=${value}`)}`),
    "-- npx -y x402-wallet-mcp",
  ].join(" ");
  return [
    "Created a new wallet.",
    "",
    formatTable([
      ["address", address],
      ["key file", `${path} (mode 0600; the key is in this file only: back it up, whoever has it can spend the funds)`],
    ]).replace(/^/gm, "  "),
    "",
    `Fund it: send USDC on Base (eip155:8453) to ${address}.`,
    `To test first: get Base Sepolia USDC (eip155:84532) from a faucet, e.g. https://faucet.circle.com, for the same address.`,
    "",
    "Add the server to Claude Desktop (claude_desktop_config.json), Cursor (~/.cursor/mcp.json) or another MCP client:",
    "",
    compactArrays(JSON.stringify(block, null, 2)),
    "",
    "Or to Claude Code:",
    "",
    `  ${claudeAdd}`,
    "",
    `Then check the setup: X402_KEY_FILE=${shellQuote(path)} npx x402-wallet-mcp doctor`,
  ].join("\n");
}
