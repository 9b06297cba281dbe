import type { PublicClient } from "viem";
import { redactRpcUrl } from "../redactRpcUrl.js";
import { findEvmNetwork, viemChain } from "./networks.js";
import type { RpcTransports } from "./rpcTransport.js";

/** The chain reads this server makes. All are async, so viem's client is loaded on the first one, not at start-up. */
export type ChainReader = Pick<
  PublicClient,
  "readContract" | "getChainId" | "getTransaction" | "getTransactionReceipt" | "waitForTransactionReceipt" | "getBlock" | "getLogs"
>;

/** One viem client per network, made on first use: nothing touches an RPC (or loads viem's client) at start-up. */
export class PublicClients {
  private readonly clients = new Map<string, Promise<PublicClient>>();
  private transports: Promise<RpcTransports> | undefined;

  constructor(
    private readonly rpcOverrides: Record<string, string>,
    private readonly timeoutMs: number,
  ) {}

  /** The network's RPC as it may be shown: its credentials (user, path, query) left out. */
  redactedRpcUrl(network: string): string | undefined {
    const url = this.rpcUrl(network);
    return url === undefined ? undefined : redactRpcUrl(url);
  }

  get(network: string): ChainReader {
    const url = this.rpcUrl(network);
    if (!url) throw new Error(`no RPC URL for ${network}; set rpc["${network}"] in the config`);
    const call =
      <K extends keyof ChainReader>(name: K) =>
      async (...args: unknown[]) =>
        ((await this.client(network, url))[name] as (...a: unknown[]) => unknown)(...args);
    return {
      readContract: call("readContract") as ChainReader["readContract"],
      getChainId: call("getChainId") as ChainReader["getChainId"],
      getTransaction: call("getTransaction") as ChainReader["getTransaction"],
      getTransactionReceipt: call("getTransactionReceipt") as ChainReader["getTransactionReceipt"],
      waitForTransactionReceipt: call("waitForTransactionReceipt") as ChainReader["waitForTransactionReceipt"],
      getBlock: call("getBlock") as ChainReader["getBlock"],
      getLogs: call("getLogs") as ChainReader["getLogs"],
    };
  }

  /** Closes the RPC connections kept alive between calls. */
  async close(): Promise<void> {
    if (this.transports) await (await this.transports).close();
  }

  private rpcUrl(network: string): string | undefined {
    return this.rpcOverrides[network] ?? findEvmNetwork(network)?.defaultRpc;
  }

  private client(network: string, url: string): Promise<PublicClient> {
    let client = this.clients.get(network);
    if (!client) {
      const known = findEvmNetwork(network);
      this.transports ??= import("./rpcTransport.js").then(({ RpcTransports }) => new RpcTransports(this.timeoutMs));
      client = Promise.all([import("viem"), this.transports]).then(
        ([{ createPublicClient }, transports]) =>
          createPublicClient({ chain: known && viemChain(known), transport: transports.transport(url) }) as PublicClient,
      );
      this.clients.set(network, client);
    }
    return client;
  }
}
