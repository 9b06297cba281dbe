import { statSync } from "node:fs";
import { FileBudgetStore } from "../budget/fileStore.js";
import { LedgerFile } from "../budget/ledgerFile.js";
import { openBudgetStore } from "../budget/openBudgetStore.js";
import type { BudgetStore } from "../budget/types.js";
import { findUsdc, assetTable } from "../chains/assets.js";
import { familyOf, findNetwork, openChainReads } from "../chains/index.js";
import type { AssetInfo, ChainReads, ChainSigner } from "../chains/types.js";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { formatError } from "../errors.js";
import { formatDecimal, formatUsd, parseUsd } from "../money.js";
import { defaultLedgerPath } from "../runtime.js";
import { loadSolanaWallet } from "../wallet/loadSolanaWallet.js";
import { loadWallet } from "../wallet/loadWallet.js";
import { clientConfigFiles, configuredKeyHex, configuredSolanaKeyForms, findKeyInClientConfigs, findSolanaKeyInClientConfigs } from "./keyExposure.js";

/** One row of doctor's table. `fix` says what to do when the status is not pass. */
export interface Check {
  name: string;
  status: "pass" | "warn" | "fail" | "skip";
  detail: string;
  fix?: string;
}

/** An RPC that takes longer than this to answer is reported as not answering. */
export const RPC_TIMEOUT_MS = 10_000;

export function checkConfig(configPath: string | undefined, env: NodeJS.ProcessEnv): { check: Check; config: Config | null } {
  const path = configPath ?? env.X402_WALLET_CONFIG;
  try {
    const config = loadConfig({ configPath, env });
    const source = path ? `${path} + environment` : "defaults + environment (no config file)";
    return { check: { name: "config", status: "pass", detail: `loads: ${source}` }, config };
  } catch (error) {
    return {
      check: {
        name: "config",
        status: "fail",
        detail: (error as Error).message,
        fix: `correct what the message names in ${path ?? "the X402_* variables"}; the README's Configuration table lists every key and its form`,
      },
      config: null,
    };
  }
}

/** The EVM key; without one it fails only while an EVM network is enabled (a Solana-only wallet needs none). */
export function checkKey(env: NodeJS.ProcessEnv, config: Config | null): { check: Check; account: ChainSigner | null } {
  try {
    const account = loadWallet(env);
    if (!account) {
      if (config && !config.networks.some((n) => familyOf(n)?.namespace === "eip155")) {
        return { check: { name: "wallet key", status: "skip", detail: "no EVM key, and no EVM network enabled" }, account: null };
      }
      return {
        check: {
          name: "wallet key",
          status: "fail",
          detail: "no key configured: neither X402_PRIVATE_KEY nor X402_KEY_FILE is set",
          fix: "run `x402-wallet-mcp init` to create a key file, then set X402_KEY_FILE to its path in the server's env",
        },
        account: null,
      };
    }
    const source = env.X402_PRIVATE_KEY?.trim() ? "X402_PRIVATE_KEY" : `the key file ${env.X402_KEY_FILE?.trim()}`;
    return { check: { name: "wallet key", status: "pass", detail: `wallet ${account.address} (from ${source})` }, account };
  } catch (error) {
    return {
      check: {
        name: "wallet key",
        status: "fail",
        detail: (error as Error).message,
        fix: "put 0x followed by 64 hex digits in X402_PRIVATE_KEY or in the key file, or run `x402-wallet-mcp init` for a new key file",
      },
      account: null,
    };
  }
}

/**
 * The Solana key, checked when one is configured or a Solana network is enabled (otherwise
 * no row: an EVM-only setup sees no Solana noise).
 */
export function checkSolanaKey(env: NodeJS.ProcessEnv, config: Config | null): { check: Check | null; signer: ChainSigner | null } {
  const name = "solana key";
  const solanaEnabled = config?.networks.some((n) => familyOf(n)?.namespace === "solana") ?? false;
  try {
    const signer = loadSolanaWallet(env);
    if (!signer) {
      if (!solanaEnabled) return { check: null, signer: null };
      return {
        check: {
          name,
          status: "fail",
          detail: "a Solana network is enabled but no Solana key is configured: neither X402_SOLANA_PRIVATE_KEY nor X402_SOLANA_KEY_FILE is set",
          fix: "run `x402-wallet-mcp init --solana` to create a key file, then set X402_SOLANA_KEY_FILE to its path in the server's env",
        },
        signer: null,
      };
    }
    const source = env.X402_SOLANA_PRIVATE_KEY?.trim() ? "X402_SOLANA_PRIVATE_KEY" : `the key file ${env.X402_SOLANA_KEY_FILE?.trim()}, mode 0600`;
    return { check: { name, status: "pass", detail: `Solana wallet ${signer.address} (from ${source})` }, signer };
  } catch (error) {
    const path = env.X402_SOLANA_KEY_FILE?.trim();
    return {
      check: {
        name,
        status: "fail",
        detail: (error as Error).message,
        fix: /chmod 600/.test((error as Error).message) && path
          ? `chmod 600 ${path}`
          : "put the 64-byte secret key as solana-keygen's JSON array or base58 in X402_SOLANA_PRIVATE_KEY or the key file, or run `x402-wallet-mcp init --solana` for a new key file",
      },
      signer: null,
    };
  }
}

export function checkKeyFilePermissions(env: NodeJS.ProcessEnv): Check {
  const name = "key file permissions";
  const path = env.X402_KEY_FILE?.trim();
  if (env.X402_PRIVATE_KEY?.trim() || !path) return { name, status: "skip", detail: "no key file in use (X402_KEY_FILE is not what the key comes from)" };
  if (process.platform === "win32") return { name, status: "skip", detail: "not checked on Windows" };
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (error) {
    return { name, status: "fail", detail: `cannot stat ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}`, fix: "check the path in X402_KEY_FILE" };
  }
  const octal = mode.toString(8).padStart(4, "0");
  if ((mode & 0o077) === 0) return { name, status: "pass", detail: `${path}: mode ${octal}, readable by you only` };
  return { name, status: "warn", detail: `${path}: mode ${octal}, readable by group or others`, fix: `chmod 600 ${path}` };
}

export async function checkKeyExposure(env: NodeJS.ProcessEnv, cwd: string): Promise<Check> {
  const name = "key exposure";
  const keyHex = configuredKeyHex(env);
  if (!keyHex) return { name, status: "skip", detail: "no readable key to look for" };
  const found = await findKeyInClientConfigs(keyHex, clientConfigFiles(env, cwd));
  if (found.length === 0) {
    return { name, status: "pass", detail: "the key is not in plain text in the MCP client configs (Claude Desktop, Claude Code, Cursor, VS Code)" };
  }
  return {
    name,
    status: "warn",
    detail: `the key is in plain text in:\n${found.map((f) => `${f.path} (${f.client})`).join("\n")}`,
    fix: "put the key in a file only you can read (chmod 600), set X402_KEY_FILE to its path instead of X402_PRIVATE_KEY, and delete the key from the file(s) above",
  };
}

/** The Solana key pasted in plain text into an MCP client's config; checked only when a Solana key is configured. */
export async function checkSolanaKeyExposure(env: NodeJS.ProcessEnv, cwd: string): Promise<Check | null> {
  const forms = configuredSolanaKeyForms(env);
  if (forms.length === 0) return null;
  const name = "solana key exposure";
  const found = await findSolanaKeyInClientConfigs(forms, clientConfigFiles(env, cwd));
  if (found.length === 0) {
    return { name, status: "pass", detail: "the Solana key is not in plain text in the MCP client configs (Claude Desktop, Claude Code, Cursor, VS Code)" };
  }
  return {
    name,
    status: "warn",
    detail: `the Solana key is in plain text in:\n${found.map((f) => `${f.path} (${f.client})`).join("\n")}`,
    fix: "put the key in a file only you can read (chmod 600), set X402_SOLANA_KEY_FILE to its path instead of X402_SOLANA_PRIVATE_KEY, and delete the key from the file(s) above",
  };
}

/** Per enabled network: the RPC answers for the right chain (EVM chain id, Solana genesis hash), and the USDC of that family's key. */
export async function checkNetworks(config: Config, addressOn: (network: string) => string | null): Promise<Check[]> {
  const clients = openChainReads(config.networks, config.rpc, Math.min(config.http.timeoutMs, RPC_TIMEOUT_MS));
  const assets = assetTable(config.assets);
  try {
    const rows = await Promise.all(
      config.networks.map(async (network): Promise<Check[]> => {
        const rpc = await checkRpc(clients, network);
        if (rpc.status !== "pass") return [rpc, { name: `usdc ${network}`, status: "skip", detail: "the RPC did not answer as expected" }];
        return [rpc, await checkBalance(clients, assets, network, addressOn(network))];
      }),
    );
    return rows.flat();
  } finally {
    await clients.close();
  }
}

async function checkRpc(clients: ChainReads, network: string): Promise<Check> {
  const name = `rpc ${network}`;
  const url = clients.redactedRpcUrl(network) ?? "(none)";
  const solana = familyOf(network)?.namespace === "solana";
  const fix = `check your connection, or set rpc["${network}"] in the config to an RPC URL of ${solana ? chainName(network) : `chain ${chainReference(network)}`} that answers`;
  let served: string;
  try {
    served = await clients.servedNetwork(network);
  } catch (error) {
    return { name, status: "fail", detail: `${url} did not answer: ${shortMessage(error)}`, fix };
  }
  if (served !== network) {
    return { name, status: "fail", detail: `${url} answers for ${chainName(served)}, expected ${solana ? chainName(network) : chainReference(network)}`, fix };
  }
  return { name, status: "pass", detail: `${url} answers, ${chainName(served)}` };
}

/**
 * How the chain proves which one it is: EVM's chain id (84532 of eip155:84532), a Solana
 * cluster's genesis hash (CAIP-2 keeps its first 32 characters), with the cluster's name.
 */
function chainName(caip2: string): string {
  if (familyOf(caip2)?.namespace !== "solana") return `chain id ${chainReference(caip2)}`;
  const known = findNetwork(caip2);
  return `genesis hash ${chainReference(caip2)}…${known ? ` (${known.displayName})` : ""}`;
}

/** The chain's own id within its namespace: 84532 of eip155:84532. */
function chainReference(caip2: string): string {
  return caip2.slice(caip2.indexOf(":") + 1);
}

async function checkBalance(clients: ChainReads, assets: readonly AssetInfo[], network: string, address: string | null): Promise<Check> {
  const name = `usdc ${network}`;
  const usdc = findUsdc(assets, network);
  if (!usdc) return { name, status: "warn", detail: "no known USDC contract on this network", fix: `add USDC for ${network} to "assets" in the config` };
  if (!address) return { name, status: "skip", detail: "no wallet key" };
  let atomic: bigint;
  try {
    atomic = await clients.readBalance(usdc, address);
  } catch (error) {
    return { name, status: "fail", detail: `balanceOf on ${usdc.address} failed: ${shortMessage(error)}`, fix: `check that rpc["${network}"] is an RPC of this network` };
  }
  const balance = `${formatDecimal(atomic, usdc.decimals)} ${usdc.symbol}`;
  if (atomic === 0n) {
    const where = findNetwork(network)?.displayName ?? network;
    // The facilitator pays Solana's fee, so the token is all a Solana wallet needs.
    const noSol = familyOf(network)?.namespace === "solana" ? " (no SOL needed)" : "";
    return { name, status: "warn", detail: `${balance}: nothing to pay with`, fix: `send ${usdc.symbol} on ${where} to ${address}${noSol}` };
  }
  return { name, status: "pass", detail: balance };
}

/** The ledger opens, locks and is written to like the server does; torn lines and today's spending. */
export async function checkLedger(config: Config, wallet: string | null = null): Promise<Check[]> {
  if (config.store.kind === "redis") return checkRedisStore(config, wallet);
  const path = config.ledger ?? defaultLedgerPath();
  const fix = `make ${path} and its folder writable by you, or set "ledger" in the config (or X402_LEDGER) to a writable path`;
  let store: FileBudgetStore;
  try {
    store = await FileBudgetStore.open(path, { log: () => undefined });
  } catch (error) {
    return [
      { name: "ledger", status: "fail", detail: formatError(error), fix },
      { name: "spent (24 h)", status: "skip", detail: "the ledger cannot be read" },
    ];
  }
  try {
    const usage = await store.usage({ sessionId: "doctor", hostPatterns: [] });
    const file = await LedgerFile.open(path);
    const { events, unreadable } = await file.readRange(0, file.size()).finally(() => file.close());
    const payments = events.filter((e) => e.type === "reserve").length;
    const summary = `${path}: writable, ${payments} payment(s) recorded`;
    const ledger: Check =
      unreadable === 0
        ? { name: "ledger", status: "pass", detail: `${summary}, no unreadable lines` }
        : {
            name: "ledger",
            status: "warn",
            detail: `${summary}, ${unreadable} unreadable or torn line(s), skipped`,
            fix: "nothing is lost but those lines (most likely writes cut short by a crash); to clear this, delete them while no server runs",
          };
    return [ledger, spentCheck(config, usage.day)];
  } finally {
    await store.close();
  }
}

const REDIS_FIX = 'start the Redis server, or correct "store.url" in the config; until it answers every payment is refused';

/** The Redis store answers the server's own scripts (connection, scripts, this wallet's budget). */
async function checkRedisStore(config: Config, wallet: string | null): Promise<Check[]> {
  const name = "budget store (redis)";
  if (!wallet) {
    return [
      { name, status: "skip", detail: "not checked: a Redis budget is kept per wallet address, and there is no wallet key" },
      { name: "spent (24 h)", status: "skip", detail: "no wallet key" },
    ];
  }
  let store: BudgetStore;
  try {
    store = await openBudgetStore({ store: config.store, ledgerPath: "", wallet, logger: { log: () => undefined } });
  } catch (error) {
    return [
      { name, status: "fail", detail: formatError(error), fix: REDIS_FIX },
      { name: "spent (24 h)", status: "skip", detail: "the store does not answer" },
    ];
  }
  try {
    const usage = await store.usage({ sessionId: "doctor", hostPatterns: [] });
    const history = await store.history({ limit: 1_000, sinceMs: Date.now() - 24 * 3_600_000, host: undefined });
    return [
      { name, status: "pass", detail: `answers; ${history.length} payment(s) in the last 24 hours for ${wallet}` },
      spentCheck(config, usage.day),
    ];
  } catch (error) {
    return [
      { name, status: "fail", detail: formatError(error), fix: REDIS_FIX },
      { name: "spent (24 h)", status: "skip", detail: "the store does not answer" },
    ];
  } finally {
    await store.close();
  }
}

function spentCheck(config: Config, day: bigint): Check {
  const perDay = parseUsd(config.budget.perDay);
  const spentText = `${formatUsd(day)} of ${formatUsd(perDay)} USD spent in the last 24 hours`;
  return day < perDay
    ? { name: "spent (24 h)", status: "pass", detail: `${spentText}, ${formatUsd(perDay - day)} left` }
    : {
        name: "spent (24 h)",
        status: "warn",
        detail: `${spentText}: the daily budget is used up, payments are refused`,
        fix: "wait for earlier payments to age out of the 24 hours, or raise budget.perDay (X402_DAILY_BUDGET)",
      };
}

/** viem's one-line message, plus the root cause it hides (ECONNREFUSED, ENOTFOUND, a timeout). */
function shortMessage(error: unknown): string {
  const first = ((error as { shortMessage?: string }).shortMessage ?? (error as Error).message).split("\n")[0] ?? "";
  let root = error as { cause?: unknown; code?: unknown; message?: unknown };
  while (root.cause && typeof root.cause === "object") root = root.cause as typeof root;
  const reason = typeof root.code === "string" ? root.code : root === error ? "" : String(root.message ?? "").split("\n")[0];
  return reason && !first.includes(reason) ? `${first} (${reason})` : first;
}
