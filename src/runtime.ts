import type { PrivateKeyAccount } from "viem/accounts";
import { KNOWN_ASSETS, type AssetInfo } from "./chain/assets.js";
import { PublicClients } from "./chain/publicClients.js";
import { MemoryBudgetStore } from "./budget/memoryStore.js";
import type { BudgetLimits, BudgetStore } from "./budget/types.js";
import type { Config } from "./config/schema.js";
import { createHttpClient, type HttpClient } from "./http/createHttpClient.js";
import { stderrLogger, type Logger } from "./log.js";
import { parseUsd } from "./money.js";
import { randomUUID } from "node:crypto";
import { VERSION } from "./version.js";

export const USER_AGENT = `x402-wallet-mcp/${VERSION}`;

/** Everything a tool needs, built once per server: the config's parsed values and the clients. */
export interface Runtime {
  config: Config;
  limits: BudgetLimits;
  account: PrivateKeyAccount | null;
  assets: readonly AssetInfo[];
  http: HttpClient;
  chain: PublicClients;
  budget: BudgetStore;
  sessionId: string;
  logger: Logger;
}

export interface RuntimeParts {
  config: Config;
  account: PrivateKeyAccount | null;
  budget?: BudgetStore;
  logger?: Logger;
}

export function createRuntime({ config, account, budget, logger }: RuntimeParts): Runtime {
  return {
    config,
    limits: { perCall: parseUsd(config.budget.perCall), perSession: parseUsd(config.budget.perSession) },
    account,
    assets: KNOWN_ASSETS,
    http: createHttpClient({
      timeoutMs: config.http.timeoutMs,
      maxBodyBytes: config.http.maxBodyBytes,
      allowPrivate: config.hosts.allowPrivate,
      userAgent: USER_AGENT,
    }),
    chain: new PublicClients(config.rpc, config.http.timeoutMs),
    budget: budget ?? new MemoryBudgetStore(),
    sessionId: randomUUID(),
    logger: logger ?? stderrLogger,
  };
}
