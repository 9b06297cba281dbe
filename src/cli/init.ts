import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { formatError } from "../errors.js";
import { loadWallet } from "../wallet/loadWallet.js";
import { addServerLines, budgetEnv } from "./clientConfig.js";
import { runInitSolana } from "./initSolana.js";
import { keyFilePath } from "./keyPath.js";
import { writeNewKeyFile } from "./newKeyFile.js";
import { formatTable, print, printError, shellQuote } from "./output.js";
import { parseCommandArgs } from "./usage.js";

/**
 * `x402-wallet-mcp init`: a new EVM key in a file only the user can read, and the lines to paste
 * into an MCP client; `init --solana` does the same for a Solana key (one key per run, so
 * the printed env block is the one that key needs).
 * Never overwrites a key file: that file may be the only copy of a key whose address holds funds. The key goes into the file and nowhere else.
 */
export async function runInit(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseCommandArgs("init", args, { solana: { type: "boolean" } });
  if (values.solana) return runInitSolana(env);
  const path = keyFilePath(env);
  const key = generatePrivateKey();
  if (!writeNewKeyFile(path, `${key}\n`)) {
    printError(refusal(path));
    return 1;
  }
  print(setupInstructions(privateKeyToAccount(key).address, path));
  return 0;
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

function setupInstructions(address: string, path: string): string {
  const env = { X402_KEY_FILE: path, ...budgetEnv() };
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
    ...addServerLines(env),
    "",
    `Then check the setup: X402_KEY_FILE=${shellQuote(path)} npx x402-wallet-mcp doctor`,
  ].join("\n");
}
