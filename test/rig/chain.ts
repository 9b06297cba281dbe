import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  http,
  publicActions,
  type Account,
  type Chain,
} from "viem";
import { baseSepolia } from "viem/chains";

export const CHAIN_ID = 84532 as const;
/** CAIP-2 id used by x402 v2 and the network name used by x402 v1 for the same chain. */
export const NETWORK_V2 = "eip155:84532" as const;
export const NETWORK_V1 = "base-sepolia" as const;

// viem clients poll for receipts. Anvil mines a sent transaction a moment after answering
// eth_sendRawTransaction, and that moment grows with the chain (about 0.5 ms at 100 blocks, 2 ms at
// 1 500): past about 1 000 blocks the facilitator's first receipt lookup always missed and every
// settlement waited a whole interval (50 ms then). A 2 ms interval keeps settling as fast late in a
// long benchmark as early on; the polling only runs while a receipt is awaited.
const POLLING_MS = 2;

/**
 * Anvil's well-known dev keys (derived from the public "test test … junk" mnemonic, prefunded
 * with ETH by anvil). Public knowledge — never holds anything of value.
 */
export const DEV_KEYS = {
  facilitator: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  minter: "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
} as const;

/**
 * baseSepolia with its RPC URL replaced by the local anvil: anything that builds a transport
 * from `chain.rpcUrls` stays on loopback instead of reaching sepolia.base.org.
 */
export function localBaseSepolia(rpcUrl: string): Chain {
  return defineChain({
    ...baseSepolia,
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

export function createClients(rpcUrl: string, chain: Chain) {
  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ chain, transport, pollingInterval: POLLING_MS });
  const testClient = createTestClient({ chain, transport, mode: "anvil", pollingInterval: POLLING_MS });
  return { publicClient, testClient };
}

/** Wallet + public actions on one object: the shape both x402 facilitator SDKs expect. */
export function createSignerClient(rpcUrl: string, chain: Chain, account: Account) {
  return createWalletClient({
    account,
    chain,
    transport: http(rpcUrl),
    pollingInterval: POLLING_MS,
  }).extend(publicActions);
}

export type SignerClient = ReturnType<typeof createSignerClient>;
