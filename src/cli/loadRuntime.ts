import { loadConfig } from "../config/load.js";
import { createRuntime, type Runtime } from "../runtime.js";
import { loadWallet } from "../wallet/loadWallet.js";

/** The server's runtime, built as the server builds it (its warnings, e.g. torn ledger lines, go to stderr). */
export async function loadRuntime(configPath: string | undefined, options: { wallet: boolean }): Promise<Runtime> {
  const config = loadConfig({ configPath });
  return createRuntime({ config, account: options.wallet ? loadWallet() : null });
}
