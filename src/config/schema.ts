import { z } from "zod";

/**
 * The config file's contract. Every key here is public: users' configs depend on the
 * names, so rename nothing; add freely. Defaults live here and nowhere else.
 */

const usdAmount = z
  .string()
  .regex(/^\d{1,12}(\.\d{1,6})?$/, 'a USD amount as a decimal string, such as "0.10"');

const caip2Network = z
  .string()
  .regex(
    /^eip155:\d{1,12}$|^solana:[1-9A-HJ-NP-Za-km-z]{32}$/,
    'a CAIP-2 network id: EVM such as "eip155:8453", or Solana "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp" (devnet "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1")',
  );

const httpUrl = z.url({ protocol: /^https?$/, error: "an http:// or https:// URL" });

const hostPattern = z
  .string()
  .regex(/^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$|^\[?[0-9A-Fa-f:.]+\]?$/, 'a host name, "*.example.com", or an IP address');

const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an EVM address (0x + 40 hex digits)");

/** An SPL mint is checked against its network's family when the asset table is built. */
const tokenAddress = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$|^[1-9A-HJ-NP-Za-km-z]{32,44}$/, "an EVM token address (0x + 40 hex digits) or a Solana mint address (base58)");

/** Caps are counted in USD, so a token priced at 0 would pass every one of them, whatever the amount. */
const usdRate = z
  .string()
  .regex(/^\d{1,12}(\.\d{1,6})?$/, 'the USD price of one whole token as a decimal string, such as "1.08"')
  .refine((rate) => /[1-9]/.test(rate), "the USD price of one whole token must be more than 0 (at 0, any amount of it would pass every spending cap)");

export const DEFAULT_NETWORKS = ["eip155:8453", "eip155:84532"];

const redisUrl = z.string().regex(/^rediss?:\/\//, "a redis:// or rediss:// URL");

export const ConfigSchema = z.strictObject({
  /** Networks the wallet may pay on. */
  networks: z.array(caip2Network).min(1).default(DEFAULT_NETWORKS),
  /** RPC URL per network; networks not listed use the public RPC of the network. */
  rpc: z.record(caip2Network, httpUrl).default({}),
  budget: z
    .strictObject({
      perCall: usdAmount.default("0.10"),
      perSession: usdAmount.default("1.00"),
      /** Rolling 24 hours, across restarts and every process sharing the ledger. */
      perDay: usdAmount.default("5.00"),
    })
    .prefault({}),
  hosts: z
    .strictObject({
      /** Allow requests to loopback, private and link-local addresses (local development only). */
      allowPrivate: z.boolean().default(false),
      /** Only these hosts may be fetched; empty means all. Deny wins over allow. */
      allow: z.array(hostPattern).default([]),
      deny: z.array(hostPattern).default([]),
      /** Caps for one host pattern, on top of the wallet's. */
      limits: z.record(hostPattern, z.strictObject({ perCall: usdAmount.optional(), perDay: usdAmount.optional() })).default({}),
    })
    .prefault({}),
  payees: z
    .strictObject({
      allow: z.array(evmAddress).default([]),
      deny: z.array(evmAddress).default([]),
    })
    .prefault({}),
  /** Extra tokens the wallet may pay with, besides USDC on Base and Base Sepolia. */
  assets: z
    .array(
      z.strictObject({
        network: caip2Network,
        address: tokenAddress,
        symbol: z.string().min(1).max(16),
        decimals: z.int().min(0).max(36),
        usdPerUnit: usdRate,
        /** The token's EIP-712 domain, for a token paid by EIP-3009; without it the token is paid through Permit2. */
        eip712: z.strictObject({ name: z.string().min(1).max(64), version: z.string().min(1).max(16) }).optional(),
      }),
    )
    .default([]),
  approval: z
    .strictObject({
      /** Payments above this many USD ask the person first (MCP elicitation); unset means never ask. */
      above: usdAmount.optional(),
      timeoutMs: z.int().min(1000).max(3_600_000).default(120_000),
      /** How long an approval link (clients that cannot ask) stays usable, and an approval given there waits for the agent's retry. */
      linkSeconds: z.int().min(5).max(86_400).default(600),
    })
    .prefault({}),
  /** Path of the append-only ledger (JSONL); default: the user's data directory. */
  ledger: z.string().min(1).optional(),
  /**
   * Pay a URL paid in the last few minutes at its known price on the first request (one
   * round trip instead of two). A changed price falls back to the normal path once.
   */
  fastPath: z.boolean().default(false),
  /**
   * Sign-in-with-x: a server that offers it gets, instead of a second payment, a message signed
   * by the key that paid it before for the same resource (origin and path) within rememberDays.
   */
  siwx: z
    .strictObject({
      enabled: z.boolean().default(true),
      rememberDays: z.int().min(1).max(3650).default(30),
    })
    .prefault({}),
  /**
   * Reconciliation with the chain in the background of a running server: every intervalSeconds
   * (0: off), payments of the last `lookbackHours` whose outcome is unknown are checked on-chain
   * (verified or expired, the amount of an expired one given back to the caps) and transfers from
   * the wallet that no entry explains are counted in the day's total and logged.
   */
  reconcile: z
    .strictObject({
      intervalSeconds: z.int().min(0).max(86_400).default(300),
      lookbackHours: z.int().min(1).max(24 * 365).default(24),
    })
    .prefault({}),
  /** Check each settlement on-chain (a Transfer of exactly what we signed) before reporting it. */
  verifySettlement: z.boolean().default(true),
  verifyTimeoutMs: z.int().min(0).max(120_000).default(5_000),
  http: z
    .strictObject({
      timeoutMs: z.int().min(100).max(600_000).default(30_000),
      maxBodyBytes: z.int().min(1024).max(100 * 1024 * 1024).default(5 * 1024 * 1024),
      /** Sent with every request; servers see which client is paying them. */
      userAgent: z.string().min(1).max(256).regex(/^[\x20-\x7e]+$/, "printable ASCII").optional(),
      /** Where `serve --http` listens (Streamable HTTP); loopback unless agents are configured. */
      listen: z
        .strictObject({ host: z.string().min(1).max(255).default("127.0.0.1"), port: z.int().min(0).max(65535).default(8402) })
        .prefault({}),
      /** An HTTP session unused this long is closed; its spending stays counted. */
      sessionIdleSeconds: z.int().min(10).max(7 * 86_400).default(1800),
      /** Open HTTP sessions, all agents together; each holds a server in memory until it ends or goes idle. */
      maxSessions: z.int().min(1).max(100_000).default(200),
      /** Open HTTP sessions one agent may hold, so one agent cannot fill the server (no agents configured: only maxSessions applies). */
      maxSessionsPerAgent: z.int().min(1).max(100_000).default(20),
      /** Host names clients may use to reach `serve --http` besides the listen address (DNS-rebinding protection). */
      allowedHosts: z.array(z.string().min(1).max(255)).default([]),
    })
    .prefault({}),
  /** Agents allowed to connect over HTTP, each with a bearer token (only its SHA-256 is kept) and its own caps. */
  agents: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "letters, digits, dot, dash or underscore"),
        tokenSha256: z.string().regex(/^[0-9a-f]{64}$/, "the SHA-256 of the token, 64 lowercase hex digits"),
        budget: z.strictObject({ perSession: usdAmount.optional(), perDay: usdAmount.optional() }).prefault({}),
      }),
    )
    .default([])
    .refine((agents) => new Set(agents.map((a) => a.name)).size === agents.length, "agent names must be unique"),
  /** Where budgets and the ledger live: a local file (default) or Redis, shared by a fleet of servers. */
  store: z
    .discriminatedUnion("kind", [
      z.strictObject({ kind: z.literal("file") }),
      z.strictObject({
        kind: z.literal("redis"),
        url: redisUrl.optional(),
        /**
         * A Redis Cluster instead of one Redis: some of its nodes (any of them, masters or
         * replicas), from which the client learns the rest. A wallet's keys share one hash tag,
         * so each wallet's budget lives on one master and its scripts run there.
         */
        cluster: z.array(redisUrl).min(1).max(64).optional(),
        prefix: z.string().max(64).default("x402:"),
        /** An unsigned reservation of a server that died is returned after this long. */
        leaseMs: z.int().min(1000).max(3_600_000).default(60_000),
        timeoutMs: z.int().min(50).max(60_000).default(2_000),
        /**
         * Replicas that must hold each reservation and signature (WAIT) before a payment goes on:
         * a failover cannot then forget spending. 0 for a single Redis; 1 for a cluster or a replicated Redis.
         */
        minReplicasAcked: z.int().min(0).max(16).default(0),
      }),
    ])
    .refine((store) => store.kind === "file" || (store.url === undefined) !== (store.cluster === undefined), {
      message: 'set exactly one of "url" (one Redis) or "cluster" (nodes of a Redis Cluster)',
      path: ["url"],
    })
    .default({ kind: "file" }),
  content: z
    .strictObject({
      /** Images up to this size come back as MCP image content; binary bodies up to it as an embedded resource. */
      maxInlineBytes: z.int().min(1024).max(20 * 1024 * 1024).default(1024 * 1024),
      /** Binary bodies are saved here (and the path returned) instead of being embedded. */
      downloadsDir: z.string().min(1).optional(),
      /** How long a paid response is kept so paging or re-reading it never pays again. */
      payOnceSeconds: z.int().min(0).max(86_400).default(600),
      payOnceMaxBytes: z.int().min(0).max(1024 * 1024 * 1024).default(64 * 1024 * 1024),
    })
    .prefault({}),
  discovery: z
    .strictObject({
      /** An x402 Bazaar discovery endpoint (a facilitator's GET /discovery/resources). */
      url: httpUrl.default("https://x402.org/facilitator/discovery/resources"),
    })
    .prefault({}),
});

/** The config as written in a file: every key optional. */
export type ConfigInput = z.input<typeof ConfigSchema>;
/** The config after defaults: what the server runs on. */
export type Config = z.output<typeof ConfigSchema>;
