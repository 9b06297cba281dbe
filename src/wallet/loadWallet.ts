import { readFileSync } from "node:fs";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { CodedError, ErrorCode } from "../errors.js";

const PRIVATE_KEY = /^0x[0-9a-fA-F]{64}$/;

/**
 * Loads the signing key from `X402_PRIVATE_KEY` or the file named by `X402_KEY_FILE`.
 * Returns null when neither is set: the server still runs, and paying tools say how to
 * set a key. The key itself never appears in an error message.
 */
export function loadWallet(env: NodeJS.ProcessEnv = process.env): PrivateKeyAccount | null {
  const fromEnv = env.X402_PRIVATE_KEY?.trim();
  if (fromEnv) return toAccount(fromEnv, "X402_PRIVATE_KEY");
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
  return toAccount(text.trim(), `the key file ${keyFile}`);
}

function toAccount(key: string, source: string): PrivateKeyAccount {
  const normalized = key.startsWith("0x") || key.startsWith("0X") ? `0x${key.slice(2)}` : `0x${key}`;
  if (!PRIVATE_KEY.test(normalized)) {
    throw new CodedError(
      ErrorCode.CONFIG_INVALID,
      `${source} does not hold a private key: expected 0x followed by 64 hex digits (the value is not shown).`,
    );
  }
  return privateKeyToAccount(normalized as `0x${string}`);
}

export const NO_WALLET_HINT =
  "Set X402_PRIVATE_KEY (0x + 64 hex digits) or X402_KEY_FILE (a file holding it) in the server's environment, in the env block of your MCP client config, then restart the server.";
