import type { Network } from "@x402/core/types";
import { DEFAULT_ASSETS } from "@x402/evm";
import { defineChain, getAddress, type Address, type Chain, type Hash, type HttpTransport, type PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createNonceManager, jsonRpc } from "viem/nonce";
import { startAnvil } from "./anvil.js";
import { DEV_KEYS, createClients, createSignerClient } from "./chain.js";
import { compileContracts, compileTestUsdcVariant } from "./compile.js";
import { createFacilitatorV2 } from "./facilitatorV2.js";
import type { RigWallet } from "./index.js";
import { DEFAULT_ROUTES, type RouteSpec } from "./routes.js";
import { startServerV2 } from "./serverV2.js";
import { MULTICALL3_ADDRESS, usdcAbi } from "./token.js";

export interface ChainRigOptions {
  /** An EVM network of @x402/evm's DEFAULT_ASSETS other than Base Sepolia, e.g. "eip155:137". */
  network: Network;
  /** Served by the official v2 server, each "$" price in the network's default stablecoin. Default {@link DEFAULT_ROUTES}. */
  routes?: RouteSpec[];
  /** Minted to `payer`, in atomic units of the stablecoin. Default 100 tokens. */
  payerAtomic?: bigint;
}

/** The network's default stablecoin as @x402/evm's table has it, and as the rig's stand-in answers on-chain. */
export interface ChainRigToken {
  address: Address;
  symbol: string;
  decimals: number;
  eip712: { name: string; version: string };
}

/**
 * Another chain of the official table on its own anvil (its chain id), with a stand-in for
 * its default stablecoin at that stablecoin's real address and EIP-712 domain, and the
 * official facilitator and @x402/express server on that network: a "$" price there is
 * resolved by the official server alone, as on the real chain.
 */
export interface ChainRig {
  network: Network;
  chainId: number;
  rpcUrl: string;
  chain: Chain;
  publicClient: PublicClient<HttpTransport, Chain>;
  token: ChainRigToken;
  /** Receives every payment made to `v2`. */
  payTo: Address;
  /** Holds `payerAtomic` of the stablecoin and no ETH. */
  payer: RigWallet;
  /** @x402/express (protocol v2) on `network`, its facilitator in-process. */
  v2: { url: string };
  balanceOf(owner: Address): Promise<bigint>;
  mint(to: Address, atomic: bigint): Promise<Hash>;
  /** Random key holding `atomic` of the stablecoin (default 0), no ETH. */
  newWallet(atomic?: bigint): Promise<RigWallet>;
  /** Closes the server and kills anvil. Idempotent. */
  stop(): Promise<void>;
}

export async function startChainRig(options: ChainRigOptions): Promise<ChainRig> {
  const { network } = options;
  const chainId = Number(/^eip155:(\d+)$/.exec(network)?.[1]);
  const official = DEFAULT_ASSETS[network as keyof typeof DEFAULT_ASSETS]?.[0];
  if (!chainId || !official || !("name" in official)) throw new Error(`test rig: ${network} has no EIP-3009 default asset in @x402/evm's DEFAULT_ASSETS`);
  if (chainId === 84532) throw new Error("test rig: Base Sepolia is startRig()'s chain");
  if (official.decimals !== 6) throw new Error(`test rig: the stand-in token has 6 decimals, ${network}'s ${official.symbol} has ${official.decimals}`);
  const token: ChainRigToken = {
    address: getAddress(official.asset),
    symbol: official.symbol,
    decimals: official.decimals,
    eip712: { name: official.name, version: official.version },
  };

  const stoppers: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const fn of stoppers.reverse()) await fn().catch(() => undefined);
    })();
    return stopping;
  };

  try {
    const tokenCode = compileTestUsdcVariant(token.eip712);
    const anvil = await startAnvil({ chainId });
    stoppers.push(anvil.stop);
    const chain = defineChain({
      id: chainId,
      name: `local ${network}`,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [anvil.rpcUrl] } },
      contracts: { multicall3: { address: MULTICALL3_ADDRESS } },
    });
    const { publicClient, testClient } = createClients(anvil.rpcUrl, chain);
    await Promise.all([
      testClient.setCode({ address: token.address, bytecode: tokenCode }),
      testClient.setCode({ address: MULTICALL3_ADDRESS, bytecode: compileContracts().Multicall3 }),
    ]);

    // Its own nonce manager, as startRig's: viem's global one would carry nonces across anvils.
    const nonceManager = createNonceManager({ source: jsonRpc() });
    const facilitatorWallet = createSignerClient(anvil.rpcUrl, chain, privateKeyToAccount(DEV_KEYS.facilitator, { nonceManager }));
    const minterWallet = createSignerClient(anvil.rpcUrl, chain, privateKeyToAccount(DEV_KEYS.minter, { nonceManager }));

    const mint = async (to: Address, atomic: bigint) => {
      const hash = await minterWallet.writeContract({ address: token.address, abi: usdcAbi, functionName: "mint", args: [to, atomic] });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`test rig: mint to ${to} on ${network} reverted (tx ${hash})`);
      return hash;
    };
    const newWallet = async (atomic = 0n): Promise<RigWallet> => {
      const privateKey = generatePrivateKey();
      const { address } = privateKeyToAccount(privateKey);
      if (atomic > 0n) await mint(address, atomic);
      return { privateKey, address };
    };
    const balanceOf = (owner: Address) =>
      publicClient.readContract({ address: token.address, abi: usdcAbi, functionName: "balanceOf", args: [owner] });

    const payTo = privateKeyToAccount(generatePrivateKey()).address;
    const payer = await newWallet(options.payerAtomic ?? 100n * 10n ** BigInt(token.decimals));
    const v2 = await startServerV2({
      routes: options.routes ?? DEFAULT_ROUTES,
      payTo,
      facilitator: createFacilitatorV2(facilitatorWallet, network).client,
      latency: { ms: 0 },
      network,
    });
    stoppers.push(v2.close);

    return { network, chainId, rpcUrl: anvil.rpcUrl, chain, publicClient, token, payTo, payer, v2: { url: v2.url }, balanceOf, mint, newWallet, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
