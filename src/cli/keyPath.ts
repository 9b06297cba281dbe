import { join, resolve } from "node:path";
import envPaths from "env-paths";

/** Where `init` writes the key and doctor looks for it: `X402_KEY_FILE` when set, else `<config dir>/key`. */
export function keyFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.X402_KEY_FILE?.trim();
  return resolve(configured || join(configDir(), "key"));
}

/** Where `init --solana` writes the Solana key: `X402_SOLANA_KEY_FILE` when set, else `<config dir>/solana-key.json`. */
export function solanaKeyFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.X402_SOLANA_KEY_FILE?.trim();
  return resolve(configured || join(configDir(), "solana-key.json"));
}

function configDir(): string {
  return envPaths("x402-wallet-mcp", { suffix: "" }).config;
}
