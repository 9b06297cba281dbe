import { chmodSync, lstatSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { printError } from "./output.js";

/**
 * Writes a new key file readable by the user only, in a folder made 0700. Returns false,
 * leaving it untouched, when something already exists at `path`: that file may be the only
 * copy of a key whose address holds funds.
 */
export function writeNewKeyFile(path: string, contents: string): boolean {
  if (exists(path)) return false;
  const folder = dirname(path);
  if (mkdirSync(folder, { recursive: true, mode: 0o700 }) !== undefined) {
    chmodSync(folder, 0o700); // mkdir's mode is filtered by the umask
  } else if (process.platform !== "win32" && (statSync(folder).mode & 0o077) !== 0) {
    printError(`x402-wallet-mcp init: note: the folder ${folder} is readable by other users; the key file itself is made readable by you only.`);
  }
  try {
    // "wx": created here or not at all, even if another init races this one.
    writeFileSync(path, contents, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new Error(`cannot write the key file ${path}: ${(error as NodeJS.ErrnoException).code ?? "write failed"}`);
  }
  chmodSync(path, 0o600);
  return true;
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
