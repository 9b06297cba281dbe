import { generateKeyPairSync } from "node:crypto";
import { SOLANA_NETWORKS } from "../chains/solana/networks.js";
import { formatError } from "../errors.js";
import { loadSolanaWallet } from "../wallet/loadSolanaWallet.js";
import { addServerLines, budgetEnv } from "./clientConfig.js";
import { solanaKeyFilePath } from "./keyPath.js";
import { writeNewKeyFile } from "./newKeyFile.js";
import { formatTable, print, printError, shellQuote } from "./output.js";

/**
 * `x402-wallet-mcp init --solana`: a new Ed25519 keypair in solana-keygen's file format (a JSON
 * array of the 64 bytes, seed then public key), so the Solana CLI and other wallets can open it.
 */
export function runInitSolana(env: NodeJS.ProcessEnv): number {
  const path = solanaKeyFilePath(env);
  const secretKey = newSecretKey();
  try {
    if (!writeNewKeyFile(path, JSON.stringify([...secretKey]))) {
      printError(refusal(path));
      return 1;
    }
  } finally {
    secretKey.fill(0);
  }
  // Read back through the loader the server uses: the address printed is the one that pays.
  const wallet = loadSolanaWallet({ X402_SOLANA_KEY_FILE: path });
  if (!wallet) throw new Error(`the new key file ${path} could not be read back`);
  print(setupInstructions(wallet.address, path));
  return 0;
}

function newSecretKey(): Buffer {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  // The raw 32-byte seed and public key are the last bytes of their DER encodings (RFC 8410).
  const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32);
  const pub = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
  return Buffer.concat([seed, pub]);
}

function refusal(path: string): string {
  let wallet: string;
  try {
    const signer = loadSolanaWallet({ X402_SOLANA_KEY_FILE: path });
    wallet = signer ? `Solana wallet ${signer.address}` : "its address could not be read";
  } catch (error) {
    wallet = `its address could not be read: ${formatError(error)}`;
  }
  return [
    `x402-wallet-mcp init --solana: a key file already exists at ${path} (${wallet}). It was left unchanged.`,
    `To use it, set X402_SOLANA_KEY_FILE=${path} in your MCP client's config for this server, then run \`x402-wallet-mcp doctor\`.`,
    "To create another Solana wallet, set X402_SOLANA_KEY_FILE to a new path and run init --solana again. Never delete a key whose address still holds funds.",
  ].join("\n");
}

function setupInstructions(address: string, path: string): string {
  const [mainnet, devnet] = SOLANA_NETWORKS;
  const env = { X402_SOLANA_KEY_FILE: path, X402_NETWORKS: SOLANA_NETWORKS.map((n) => n.caip2).join(","), ...budgetEnv() };
  return [
    "Created a new Solana wallet.",
    "",
    formatTable([
      ["address", address],
      ["key file", `${path} (mode 0600, solana-keygen's format; the key is in this file only: back it up, whoever has it can spend the funds)`],
    ]).replace(/^/gm, "  "),
    "",
    `Fund it: send USDC on Solana (${mainnet?.caip2}) to ${address}. No SOL is needed: the facilitator pays the fee.`,
    `To test first: get Solana Devnet USDC (${devnet?.caip2}) from a faucet, e.g. https://faucet.circle.com, for the same address.`,
    "",
    ...addServerLines(env),
    "",
    "Paying on EVM networks too: add X402_KEY_FILE (from `x402-wallet-mcp init`) to the same env block and list both families' networks in X402_NETWORKS.",
    "",
    `Then check the setup: X402_SOLANA_KEY_FILE=${shellQuote(path)} X402_NETWORKS=${env.X402_NETWORKS} npx x402-wallet-mcp doctor`,
  ].join("\n");
}
