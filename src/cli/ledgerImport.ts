import { existsSync } from "node:fs";
import { LedgerFile } from "../budget/ledgerFile.js";
import { paymentsToImport } from "../budget/paymentsToImport.js";
import { loadConfig } from "../config/load.js";
import { CodedError, ErrorCode } from "../errors.js";
import { stderrLogger } from "../log.js";
import { formatUsd } from "../money.js";
import { defaultLedgerPath } from "../runtime.js";
import { loadWallet, NO_WALLET_HINT } from "../wallet/loadWallet.js";
import { print } from "./output.js";
import { parseCommandArgs, UsageError } from "./usage.js";

const USAGE = "ledger import --from file --to redis [--config PATH]";

/**
 * `x402-wallet-mcp ledger import --from file --to redis`: moves the file ledger (the config's
 * `ledger`) into the Redis store the config names, for the wallet of X402_PRIVATE_KEY or
 * X402_KEY_FILE, so the daily, host and agent totals carry over. Run it again and it adds
 * nothing: each payment is imported at most once (Redis remembers the ids it imported).
 * Takes the arguments after `ledger`, or after `ledger import`; `ledger reconcile` is handed on.
 */
export async function runLedgerImport(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (args[0] === "reconcile") return (await import("./ledgerReconcile.js")).runLedgerReconcile(args.slice(1));
  const rest = args[0] === "import" ? args.slice(1) : args;
  if (rest[0] !== undefined && !rest[0].startsWith("-")) throw new UsageError(`ledger: unknown subcommand "${rest[0]}" (known: ${USAGE}; ledger reconcile [--since ISO] [--json])`);
  const { values } = parseCommandArgs("ledger import", rest, {
    config: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
  });
  if (values.from !== "file" || values.to !== "redis") {
    throw new UsageError(`ledger import: only --from file --to redis is supported (usage: ${USAGE})`);
  }
  const config = loadConfig({ configPath: values.config, env });
  if (config.store.kind !== "redis") {
    throw new UsageError(
      `ledger import: --to redis needs "store": { "kind": "redis", "url": "redis://…" } in the config${values.config ? ` (${values.config})` : "; pass it with --config"}`,
    );
  }
  const account = loadWallet(env);
  if (!account) {
    throw new CodedError(ErrorCode.NO_WALLET, `A Redis budget is kept per wallet address, so the import needs the wallet's key. ${NO_WALLET_HINT}`);
  }
  const path = config.ledger ?? defaultLedgerPath();
  if (!existsSync(path)) {
    throw new UsageError(`ledger import: there is no file ledger at ${path} (set "ledger" in the config if it lives elsewhere)`);
  }
  const file = await LedgerFile.open(path);
  const { events, unreadable } = await file.readRange(0, await file.size()).finally(() => file.close());
  const payments = paymentsToImport(events, Date.now());

  const { RedisBudgetStore } = await import("../budget/redisStore.js");
  const store = await RedisBudgetStore.open({
    url: config.store.url,
    cluster: config.store.cluster,
    prefix: config.store.prefix,
    wallet: account.address.toLowerCase(),
    leaseMs: config.store.leaseMs,
    timeoutMs: config.store.timeoutMs,
    logger: stderrLogger,
  });
  try {
    const { imported, skipped } = await store.importPayments(payments);
    const counted = payments.filter((p) => p.counts).reduce((sum, p) => sum + BigInt(p.reserve.usdMicros), 0n);
    const day = (await store.usage({ sessionId: "ledger-import", hostPatterns: [] })).day;
    print(
      [
        `Imported ${imported} payment(s) from ${path} for wallet ${account.address}${skipped > 0 ? `; ${skipped} were already imported and were skipped` : ""}.`,
        ...(unreadable > 0 ? [`${unreadable} unreadable or torn line(s) of the file were skipped, as the file store skips them.`] : []),
        `The file ledger's last 24 hours: ${formatUsd(counted)} USD. The Redis store now counts ${formatUsd(day)} USD spent in the last 24 hours.`,
        `Point every server at the Redis store now; the file ledger is left as it was.`,
      ].join("\n"),
    );
    return 0;
  } finally {
    await store.close();
  }
}
