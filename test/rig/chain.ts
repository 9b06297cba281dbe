import { setTimeout as sleep } from "node:timers/promises";
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  http,
  publicActions,
  type Account,
  type Chain,
  type Hash,
} from "viem";
import { baseSepolia } from "viem/chains";

export const CHAIN_ID = 84532 as const;
/** CAIP-2 id used by x402 v2 and the network name used by x402 v1 for the same chain. */
export const NETWORK_V2 = "eip155:84532" as const;
export const NETWORK_V1 = "base-sepolia" as const;

// viem clients poll for receipts; anvil automines, so a short interval cuts settle latency.
const POLLING_MS = 50;

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

/** How often a facilitator asks for the receipt of the settlement it just sent. */
const RECEIPT_POLL_MS = 1;
const RECEIPT_TIMEOUT_MS = 60_000;

/**
 * Wallet + public actions on one object: the shape both x402 facilitator SDKs expect.
 *
 * Its waitForTransactionReceipt asks for the receipt until it is there. Anvil mines a sent
 * transaction a moment after answering eth_sendRawTransaction, and the moment grows with
 * the chain (about 0.5 ms at 100 blocks, 2 ms at 1 500, measured). viem's own wait looks
 * once and then waits for the next block-number poll: past about 1 000 blocks every
 * settlement waited a whole polling interval (settling went from 11 to 60 ms in the middle
 * of a benchmark), and with a short interval a wait could hang on a block that never came.
 */
export function createSignerClient(rpcUrl: string, chain: Chain, account: Account) {
  return createWalletClient({
    account,
    chain,
    transport: http(rpcUrl),
    pollingInterval: POLLING_MS,
  })
    .extend(publicActions)
    .extend((client) => ({
      async waitForTransactionReceipt({ hash }: { hash: Hash }) {
        const deadline = Date.now() + RECEIPT_TIMEOUT_MS;
        for (;;) {
          const receipt = await client.getTransactionReceipt({ hash }).catch(() => null);
          if (receipt) return receipt;
          if (Date.now() > deadline) throw new Error(`test rig: no receipt for ${hash} after ${RECEIPT_TIMEOUT_MS} ms`);
          await sleep(RECEIPT_POLL_MS);
        }
      },
    }));
}

export type SignerClient = ReturnType<typeof createSignerClient>;
