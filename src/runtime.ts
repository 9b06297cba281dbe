import { randomUUID } from "node:crypto";
import { join } from "node:path";
import envPaths from "env-paths";
import { openBudgetStore } from "./budget/openBudgetStore.js";
import type { BudgetLimits, BudgetStore } from "./budget/types.js";
import { assetTable } from "./chains/assets.js";
import { familyOf, openChainReads } from "./chains/index.js";
import { RecentBalances } from "./chains/recentBalances.js";
import type { AssetInfo, ChainReads, ChainSigner } from "./chains/types.js";
import { PayOnceCache } from "./content/payOnceCache.js";
import { ApprovalDesk } from "./dashboard/approvalDesk.js";
import type { Config } from "./config/schema.js";
import { createHttpClient, type HttpClient } from "./http/createHttpClient.js";
import type { HttpResponse } from "./http/types.js";
import { KnownPrices } from "./payment/knownPrices.js";
import type { Receipt } from "./payment/receipt.js";
import { stderrLogger, type Logger } from "./log.js";
import { parseUsd } from "./money.js";
import { assertHostAllowed, hostMatches } from "./policy/hosts.js";
import { VERSION } from "./version.js";

export const USER_AGENT = `x402-wallet-mcp/${VERSION}`;

/** Everything a tool needs, built once per server: the config's parsed values and the clients. */
export interface Runtime {
  config: Config;
  /** The wallet's EVM signer; null without an EVM key. */
  account: ChainSigner | null;
  /** The wallet's signer on each chain family, by CAIP-2 namespace ("eip155", "solana"); a family without a key has none. */
  signers: ReadonlyMap<string, ChainSigner>;
  assets: readonly AssetInfo[];
  http: HttpClient;
  /** Balances, settlement checks and RPC facts of the enabled networks, each through its chain family. */
  chain: ChainReads;
  /** Balances read for the funds check, reused for a few seconds. */
  balances: RecentBalances;
  budget: BudgetStore;
  sessionId: string;
  logger: Logger;
  /** The authenticated agent this runtime serves (HTTP mode); null on stdio. */
  agent: AgentConfig | null;
  /** Every cap that applies to a payment to `host`, in USD micros. */
  limitsFor(host: string): BudgetLimits;
  /** Payments above this many USD micros need the person's approval; null: never. */
  approvalAbove: bigint | null;
  /** Approval links and their page, for clients that cannot ask the person themselves; one per process. */
  approvals: ApprovalDesk;
  /** Paid responses kept so paging or re-reading them never pays again. */
  payOnce: PayOnceCache<CachedPayment>;
  /** Prices paid recently, for the opt-in fast path. */
  knownPrices: KnownPrices;
  /**
   * Runs work the answer need not wait for (writing down a payment's outcome) once the
   * current turn is done, so the answer is written out first; `close` waits for it.
   */
  defer(work: () => Promise<unknown>): void;
  close(): Promise<void>;
}

/** A paid answer as kept by the pay-once cache: the response and its original receipt. */
export interface CachedPayment {
  response: HttpResponse;
  payment: Receipt | null;
}

export type AgentConfig = Config["agents"][number];

/**
 * The runtime of one MCP session: its own session budget and, in HTTP mode, its agent's
 * caps on top of the wallet's. Clients and stores are shared with `rt`.
 */
export function sessionRuntime(rt: Runtime, agent: AgentConfig | null): Runtime {
  const agentSession = agent?.budget.perSession === undefined ? undefined : parseUsd(agent.budget.perSession);
  const agentDay = agent?.budget.perDay === undefined ? undefined : parseUsd(agent.budget.perDay);
  return {
    ...rt,
    sessionId: randomUUID(),
    agent,
    limitsFor(host) {
      const wallet = rt.limitsFor(host);
      if (!agent) return wallet;
      return {
        ...wallet,
        perSession: agentSession !== undefined && agentSession < wallet.perSession ? agentSession : wallet.perSession,
        agent: { name: agent.name, perDay: agentDay },
      };
    },
  };
}

export interface RuntimeParts {
  config: Config;
  /** The EVM key's signer. */
  account: ChainSigner | null;
  /** Other families' signers by CAIP-2 namespace (`solana`). */
  signers?: Readonly<Record<string, ChainSigner | null>>;
  budget?: BudgetStore;
  logger?: Logger;
}

export function defaultLedgerPath(): string {
  return join(envPaths("x402-wallet-mcp", { suffix: "" }).data, "ledger.jsonl");
}

/** The signer that pays on `network`: its family's key, or null when the owner configured none for it. */
export function signerFor(rt: Pick<Runtime, "signers">, network: string): ChainSigner | null {
  const family = familyOf(network);
  return (family && rt.signers.get(family.namespace)) ?? null;
}

export async function createRuntime({ config, account, signers = {}, budget, logger = stderrLogger }: RuntimeParts): Promise<Runtime> {
  const store =
    budget ?? (await openBudgetStore({ store: config.store, ledgerPath: config.ledger ?? defaultLedgerPath(), wallet: account?.address ?? signers.solana?.address, logger }));
  const base = {
    perCall: parseUsd(config.budget.perCall),
    perSession: parseUsd(config.budget.perSession),
    perDay: parseUsd(config.budget.perDay),
  };
  const hostLimits = Object.entries(config.hosts.limits).map(([pattern, l]) => ({
    pattern,
    perCall: l.perCall === undefined ? undefined : parseUsd(l.perCall),
    perDay: l.perDay === undefined ? undefined : parseUsd(l.perDay),
  }));
  const approvals = new ApprovalDesk(config.approval.linkSeconds);
  const http = createHttpClient({
    timeoutMs: config.http.timeoutMs,
    maxBodyBytes: config.http.maxBodyBytes,
    allowPrivate: config.hosts.allowPrivate,
    userAgent: config.http.userAgent ?? USER_AGENT,
    // Each hop of a redirect chain passes the same host rules as the first URL.
    assertUrlAllowed: (url) => assertHostAllowed(url, config.hosts),
    // Even with hosts.allowPrivate, the agent never reaches the page where the person approves.
    refusePeer: (address, port) => approvals.isApprovalPage(address, port),
  });
  const chain = openChainReads(config.networks, config.rpc, config.http.timeoutMs);
  const deferred = new Set<Promise<unknown>>();
  const bySigner = new Map<string, ChainSigner>(account ? [["eip155", account]] : []);
  for (const [namespace, signer] of Object.entries(signers)) if (signer) bySigner.set(namespace, signer);
  return {
    config,
    account,
    signers: bySigner,
    assets: assetTable(config.assets),
    http,
    chain,
    balances: new RecentBalances(),
    budget: store,
    sessionId: randomUUID(),
    logger,
    agent: null,
    limitsFor: (host) => ({ ...base, hosts: hostLimits.filter((l) => hostMatches(l.pattern, host)) }),
    approvalAbove: config.approval.above === undefined ? null : parseUsd(config.approval.above),
    approvals,
    payOnce: new PayOnceCache({
      ttlMs: config.content.payOnceSeconds * 1000,
      maxEntries: 256,
      maxBytes: config.content.payOnceMaxBytes,
    }),
    knownPrices: new KnownPrices(),
    defer(work) {
      const task = new Promise<void>((resolve) => setImmediate(resolve)).then(work);
      deferred.add(task);
      const done = () => void deferred.delete(task);
      task.then(done, done);
    },
    async close() {
      await Promise.allSettled([...deferred]);
      await approvals.close();
      await http.close();
      await chain.close();
      await store.close();
    },
  };
}
