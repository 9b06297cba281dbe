import { createPublicClient, http, type PublicClient } from "viem";
import { findNetwork } from "./networks.js";

/** One viem client per network, made on first use: nothing touches an RPC at start-up. */
export class PublicClients {
  private readonly clients = new Map<string, PublicClient>();

  constructor(
    private readonly rpcOverrides: Record<string, string>,
    private readonly timeoutMs: number,
  ) {}

  rpcUrl(network: string): string | undefined {
    return this.rpcOverrides[network] ?? findNetwork(network)?.defaultRpc;
  }

  get(network: string): PublicClient {
    let client = this.clients.get(network);
    if (!client) {
      const url = this.rpcUrl(network);
      if (!url) throw new Error(`no RPC URL for ${network}; set rpc["${network}"] in the config`);
      client = createPublicClient({
        chain: findNetwork(network)?.viemChain,
        transport: http(url, { timeout: this.timeoutMs, retryCount: 1 }),
      }) as PublicClient;
      this.clients.set(network, client);
    }
    return client;
  }
}
