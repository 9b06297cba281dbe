import { readFileSync, statSync } from "node:fs";
import { solanaSigner, type SolanaSigner } from "../chains/solana/signer.js";
import { CodedError, ErrorCode } from "../errors.js";

/**
 * Loads the Solana key from `X402_SOLANA_PRIVATE_KEY` (base58 of the 64-byte secret key) or
 * the file named by `X402_SOLANA_KEY_FILE` (solana-keygen's JSON byte array, or base58).
 * Returns null when neither is set: Solana options are then refused, and EVM ones paid as
 * before. A key file others can read is refused: the key is the money. The key itself never
 * appears in an error message.
 */
export function loadSolanaWallet(env: NodeJS.ProcessEnv = process.env): SolanaSigner | null {
  const fromEnv = env.X402_SOLANA_PRIVATE_KEY?.trim();
  if (fromEnv) return solanaSigner(fromEnv, "X402_SOLANA_PRIVATE_KEY");
  const keyFile = env.X402_SOLANA_KEY_FILE?.trim();
  if (!keyFile) return null;
  let text: string;
  try {
    // POSIX modes only: Windows reports 0666 for every file, and its ACLs are not read here.
    if (process.platform !== "win32" && (statSync(keyFile).mode & 0o077) !== 0) {
      throw new CodedError(
        ErrorCode.CONFIG_INVALID,
        `The Solana key file named by X402_SOLANA_KEY_FILE (${keyFile}) can be read by other users; run "chmod 600 ${keyFile}" and restart.`,
      );
    }
    text = readFileSync(keyFile, "utf8");
  } catch (error) {
    if (error instanceof CodedError) throw error;
    throw new CodedError(
      ErrorCode.CONFIG_INVALID,
      `Cannot read the key file named by X402_SOLANA_KEY_FILE (${keyFile}): ${(error as NodeJS.ErrnoException).code ?? "unreadable"}.`,
    );
  }
  return solanaSigner(text, `the key file ${keyFile}`);
}
