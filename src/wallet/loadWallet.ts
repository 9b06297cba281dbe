import { readFileSync } from "node:fs";
import { evmSigner } from "../chains/evm/signer.js";
import type { ChainSigner } from "../chains/types.js";
import { CodedError, ErrorCode } from "../errors.js";

/**
 * Loads the signing key from `X402_PRIVATE_KEY` or the file named by `X402_KEY_FILE`.
 * Returns null when neither is set: the server still runs, and paying tools say how to
 * set a key. The key itself never appears in an error message. The key is an EVM (secp256k1)
 * key; a chain family whose keys are of another kind brings its own variable.
 */
export function loadWallet(env: NodeJS.ProcessEnv = process.env): ChainSigner | null {
  const fromEnv = env.X402_PRIVATE_KEY?.trim();
  if (fromEnv) return evmSigner(fromEnv, "X402_PRIVATE_KEY");
  const keyFile = env.X402_KEY_FILE?.trim();
  if (!keyFile) return null;
  let text: string;
  try {
    text = readFileSync(keyFile, "utf8");
  } catch (error) {
    throw new CodedError(
      ErrorCode.CONFIG_INVALID,
      `Cannot read the key file named by X402_KEY_FILE (${keyFile}): ${(error as NodeJS.ErrnoException).code ?? "unreadable"}.`,
    );
  }
  return evmSigner(text.trim(), `the key file ${keyFile}`);
}

export const NO_WALLET_HINT =
  "Set X402_PRIVATE_KEY (0x + 64 hex digits) or X402_KEY_FILE (a file holding it) in the server's environment, in the env block of your MCP client config, then restart the server.";
