import { readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { decodeBase58, encodeBase58 } from "../chains/solana/base58.js";

/**
 * Finds the wallet key pasted in plain text into an MCP client's config file, where any
 * program that reads the user's files can take it. Used by the server at start-up (only
 * when a key is configured) and by doctor. The key is compared, never printed.
 */

export interface ClientConfigFile {
  client: string;
  path: string;
}

/** Config files of MCP clients that hold servers' env blocks; `HOME` and the cwd come from the caller. */
export function clientConfigFiles(env: NodeJS.ProcessEnv, cwd: string): ClientConfigFile[] {
  const home = env.HOME || env.USERPROFILE || homedir();
  const xdgConfig = env.XDG_CONFIG_HOME || join(home, ".config");
  const appData = env.APPDATA || join(home, "AppData", "Roaming");
  const files = [
    { client: "Claude Desktop", path: join(xdgConfig, "Claude", "claude_desktop_config.json") },
    { client: "Claude Desktop", path: join(home, "Library", "Application Support", "Claude", "claude_desktop_config.json") },
    { client: "Claude Desktop", path: join(appData, "Claude", "claude_desktop_config.json") },
    { client: "Claude Code", path: join(home, ".claude.json") },
    { client: "Claude Code (project)", path: join(cwd, ".mcp.json") },
    { client: "Cursor", path: join(home, ".cursor", "mcp.json") },
    { client: "Cursor (project)", path: join(cwd, ".cursor", "mcp.json") },
    { client: "VS Code (project)", path: join(cwd, ".vscode", "mcp.json") },
  ].map((f) => ({ ...f, path: resolve(f.path) }));
  return files.filter((f, i) => files.findIndex((g) => g.path === f.path) === i);
}

/** Client configs can hold chat history (~/.claude.json); past this size a file is skipped. */
const MAX_BYTES = 64 * 1024 * 1024;

/** The client config files holding `keyHex` (64 hex digits, with or without 0x, any case). */
export async function findKeyInClientConfigs(keyHex: string, files: readonly ClientConfigFile[]): Promise<ClientConfigFile[]> {
  const needle = keyHex.replace(/^0x/i, "").toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(needle)) return [];
  return findInClientConfigs([needle], files);
}

/**
 * The client config files holding any of `forms` of a Solana secret key (see
 * {@link configuredSolanaKeyForms}); compared without case, which base58 keys of 64 bytes
 * are far too long to meet by chance.
 */
export async function findSolanaKeyInClientConfigs(forms: readonly string[], files: readonly ClientConfigFile[]): Promise<ClientConfigFile[]> {
  return forms.length === 0 ? [] : findInClientConfigs(forms.map((f) => f.toLowerCase()), files);
}

async function findInClientConfigs(lowerNeedles: readonly string[], files: readonly ClientConfigFile[]): Promise<ClientConfigFile[]> {
  const found = await Promise.all(files.map(async (file) => ((await fileContains(file.path, lowerNeedles)) ? file : null)));
  return found.filter((f): f is ClientConfigFile => f !== null);
}

async function fileContains(path: string, lowerNeedles: readonly string[]): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch {
    return false;
  }
  try {
    const { size } = await handle.stat();
    if (size > MAX_BYTES) return false;
    const text = (await handle.readFile("utf8")).toLowerCase();
    return lowerNeedles.some((needle) => text.includes(needle));
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

/**
 * The configured key's hex as `loadWallet` reads it (X402_PRIVATE_KEY, else the file named
 * by X402_KEY_FILE), or null. Only for comparison: callers must never print it.
 */
export function configuredKeyHex(env: NodeJS.ProcessEnv): string | null {
  let text = env.X402_PRIVATE_KEY?.trim();
  if (!text) {
    const keyFile = env.X402_KEY_FILE?.trim();
    if (!keyFile) return null;
    try {
      text = readFileSync(keyFile, "utf8").trim();
    } catch {
      return null;
    }
  }
  const hex = text.replace(/^0x/i, "");
  return /^[0-9a-fA-F]{64}$/.test(hex) ? hex : null;
}

/**
 * The configured Solana key as it could be pasted into a client config: base58 of its 64
 * bytes, and solana-keygen's JSON array with and without spaces. Read as loadSolanaWallet
 * reads it (X402_SOLANA_PRIVATE_KEY, else X402_SOLANA_KEY_FILE); empty when there is none
 * or it is unreadable. Only for comparison: callers must never print it.
 */
export function configuredSolanaKeyForms(env: NodeJS.ProcessEnv): string[] {
  let text = env.X402_SOLANA_PRIVATE_KEY?.trim();
  if (!text) {
    const keyFile = env.X402_SOLANA_KEY_FILE?.trim();
    if (!keyFile) return [];
    try {
      text = readFileSync(keyFile, "utf8").trim();
    } catch {
      return [];
    }
  }
  const bytes = text.startsWith("[") ? jsonBytes(text) : decodeBase58(text);
  if (bytes?.length !== 64) return [];
  const array = [...bytes];
  return [encodeBase58(bytes), JSON.stringify(array), array.join(", ")];
}

function jsonBytes(text: string): Uint8Array | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) && parsed.every((b) => Number.isInteger(b) && b >= 0 && b <= 255) ? Uint8Array.from(parsed as number[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The start-up warning for one exposed file: names the file, never the key. */
export function exposureWarning(file: ClientConfigFile, key: "evm" | "solana" = "evm"): string {
  const [which, fileVar, envVar] = key === "evm" ? ["private key", "X402_KEY_FILE", "X402_PRIVATE_KEY"] : ["Solana key", "X402_SOLANA_KEY_FILE", "X402_SOLANA_PRIVATE_KEY"];
  return `the wallet's ${which} is written in plain text in ${file.path} (${file.client}): any program that can read that file can spend the wallet's funds. Put the key in a file only you can read (chmod 600), set ${fileVar} to that file's path in the server's env instead of ${envVar}, and delete the key from ${file.path}.`;
}
