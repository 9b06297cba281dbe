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
  .regex(/^eip155:\d{1,12}$/, 'a CAIP-2 EVM network id, such as "eip155:8453"');

const httpUrl = z.url({ protocol: /^https?$/, error: "an http:// or https:// URL" });

export const DEFAULT_NETWORKS = ["eip155:8453", "eip155:84532"];

export const ConfigSchema = z.strictObject({
  /** Networks the wallet may pay on. */
  networks: z.array(caip2Network).min(1).default(DEFAULT_NETWORKS),
  /** RPC URL per network; networks not listed use the public RPC of the network. */
  rpc: z.record(caip2Network, httpUrl).default({}),
  budget: z
    .strictObject({
      perCall: usdAmount.default("0.10"),
      perSession: usdAmount.default("1.00"),
    })
    .prefault({}),
  hosts: z
    .strictObject({
      /** Allow requests to loopback, private and link-local addresses (local development only). */
      allowPrivate: z.boolean().default(false),
    })
    .prefault({}),
  http: z
    .strictObject({
      timeoutMs: z.int().min(100).max(600_000).default(30_000),
      maxBodyBytes: z.int().min(1024).max(100 * 1024 * 1024).default(5 * 1024 * 1024),
    })
    .prefault({}),
});

/** The config as written in a file: every key optional. */
export type ConfigInput = z.input<typeof ConfigSchema>;
/** The config after defaults: what the server runs on. */
export type Config = z.output<typeof ConfigSchema>;
