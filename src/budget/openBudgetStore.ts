import type { Config } from "../config/schema.js";
import { CodedError, ErrorCode } from "../errors.js";
import type { Logger } from "../log.js";
import { FileBudgetStore } from "./fileStore.js";
import type { BudgetStore } from "./types.js";

export interface OpenBudgetStoreParameters {
  /** The config's `store`. */
  store: Config["store"];
  /** The file ledger's path (the config's `ledger`, or the per-OS default). */
  ledgerPath: string;
  /** The paying wallet's address: a Redis budget is kept per wallet, under its hash tag. */
  wallet: string | null | undefined;
  logger: Logger;
}

/** Opens the budget store the config names: the file ledger, or the Redis store shared by a fleet. */
export async function openBudgetStore({ store, ledgerPath, wallet, logger }: OpenBudgetStoreParameters): Promise<BudgetStore> {
  if (store.kind === "file") return FileBudgetStore.open(ledgerPath, logger);
  if (!wallet) {
    throw new CodedError(
      ErrorCode.CONFIG_INVALID,
      'The Redis budget store ("store": { "kind": "redis" }) keeps one budget per wallet address, and no wallet key is set. Set X402_PRIVATE_KEY or X402_KEY_FILE (or, for a Solana-only wallet, X402_SOLANA_PRIVATE_KEY or X402_SOLANA_KEY_FILE) in the environment, or use "store": { "kind": "file" }.',
    );
  }
  // Loaded only here: a stdio server on the file ledger never loads ioredis.
  const { RedisBudgetStore } = await import("./redisStore.js");
  return RedisBudgetStore.open({
    url: store.url,
    cluster: store.cluster,
    prefix: store.prefix,
    // EVM addresses are case-insensitive: one spelling, so every server finds the same keys.
    // A Solana address (base58) is case-sensitive and kept as it is.
    wallet: wallet.startsWith("0x") ? wallet.toLowerCase() : wallet,
    leaseMs: store.leaseMs,
    timeoutMs: store.timeoutMs,
    minReplicasAcked: store.minReplicasAcked,
    logger,
  });
}
