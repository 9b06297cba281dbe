import { loadConfig } from "../config/load.js";
import { createRuntime, type Runtime } from "../runtime.js";
import { loadSolanaWallet } from "../wallet/loadSolanaWallet.js";
import { loadWallet } from "../wallet/loadWallet.js";

/** The server's runtime, built as the server builds it (its warnings, e.g. torn ledger lines, go to stderr). */
export async function loadRuntime(configPath: string | undefined, options: { wallet: boolean }): Promise<Runtime> {
  const config = loadConfig({ configPath });
  // A Redis budget is found by the wallet's address, so reading it needs the key even when nothing is signed.
  const account = options.wallet || config.store.kind === "redis" ? loadWallet() : null;
  return createRuntime({ config, account, signers: { solana: options.wallet ? loadSolanaWallet() : null } });
}
