import { randomBytes } from "node:crypto";
import {
  createKeyPairSignerFromPrivateKeyBytes,
  getBase58Decoder,
  getBase58Encoder,
  type Address,
  type KeyPairSigner,
} from "@solana/kit";
import { DEFAULT_ROUTES, type Latency, type RouteSpec } from "../routes.js";
import { LocalSvm } from "./chain.js";
import { createSvmFacilitator } from "./facilitator.js";
import { startFacilitatorHttp } from "./facilitatorHttp.js";
import { DEVNET_USDC_MINT, LAMPORTS_PER_SOL, setUpFunding } from "./funding.js";
import { startSolanaRpc, type SolanaRpcServer } from "./rpcServer.js";
import { SOLANA_DEVNET, startSvmServer, type EvmSide } from "./server.js";
import { SOLANA_DEVNET_V1, startSvmServerV1 } from "./serverV1.js";

export { BLOCKHASH_VALIDITY_BLOCKS, LocalSvm, type LandedTransaction } from "./chain.js";
export { DEVNET_USDC_MINT, LAMPORTS_PER_SOL, USDC_DECIMALS } from "./funding.js";
export { DEVNET_GENESIS_HASH, type SolanaRpcServer } from "./rpcServer.js";
export {
  EITHER_CHAIN_PATH,
  EITHER_CHAIN_PRICE,
  SOLANA_DEVNET,
  registerSvmServerScheme,
  svmPaymentOption,
  type EvmSide,
  type PaymentOption,
} from "./server.js";
export { createSvmFacilitator } from "./facilitator.js";
export { SOLANA_DEVNET_V1 } from "./serverV1.js";

export interface SolanaRigOptions {
  /** Routes of both SVM servers. Default: the EVM rig's {@link DEFAULT_ROUTES}, priced in devnet USDC. */
  routes?: RouteSpec[];
  /** Artificial delay per request, one number for both servers or per server. Default 0. */
  latencyMs?: number | { v1?: number; v2?: number };
  /** Atomic USDC (6 decimals) minted to `rig.payer`. Default 100 USDC. */
  payerUsdc?: bigint;
  /** Each 402 carries extra.recentBlockhash from the rig's RPC. Default false: clients fetch their own. */
  embedBlockhash?: boolean;
  /** Adds {@link EITHER_CHAIN_PATH}, paid on this EVM side or on Solana. */
  evm?: EvmSide;
}

export interface SolanaRigServer {
  url: string;
  setLatencyMs(ms: number): void;
}

export interface SolanaRigWallet {
  signer: KeyPairSigner;
  address: Address;
  /** The 64-byte secret key (seed then public key), as solana-keygen writes it. */
  secretKey: Uint8Array;
  /** `secretKey` in base58, the X402_SOLANA_PRIVATE_KEY form. */
  secretKeyBase58: string;
}

export interface SolanaRig {
  /** The rig's Solana JSON-RPC (devnet genesis hash, devnet USDC mint). */
  rpcUrl: string;
  rpc: SolanaRpcServer;
  chain: LocalSvm;
  /** CAIP-2 devnet id (v2) and its v1 name. */
  network: typeof SOLANA_DEVNET;
  networkV1: typeof SOLANA_DEVNET_V1;
  usdc: Address;
  /** Merchant: receives payments in its USDC associated token account (created at start). */
  payTo: Address;
  /** The facilitator's fee payer: `extra.feePayer` of every 402, funded with 10 SOL. */
  feePayer: Address;
  /** Holds `payerUsdc` USDC and no SOL, as a wallet that lets the facilitator pay fees. */
  payer: SolanaRigWallet;
  /** @x402/express (protocol v2) with the official SVM facilitator in-process. */
  v2: SolanaRigServer;
  /** x402-express (protocol v1, "solana-devnet") and the HTTP face of the same facilitator. */
  v1: SolanaRigServer & { facilitatorUrl: string };
  newWallet(usdcAtomic?: bigint): Promise<SolanaRigWallet>;
  mintUsdc(owner: Address, atomic: bigint): Promise<void>;
  createUsdcAta(owner: Address): Promise<Address>;
  usdcAta(owner: Address): Promise<Address>;
  usdcBalanceOf(owner: Address): Promise<bigint>;
  lamportsOf(owner: Address): bigint;
  airdrop(owner: Address, lamports: bigint): void;
  /** Closes `blocks` empty blocks, e.g. to move past a signed transaction's last valid block height. */
  advanceBlocks(blocks: bigint): void;
  stop(): Promise<void>;
}

/** Starts LiteSVM, its JSON-RPC, the official SVM facilitator and the official v2 and v1 servers. */
export async function startSolanaRig(options: SolanaRigOptions = {}): Promise<SolanaRig> {
  const stoppers: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= Promise.allSettled(stoppers.reverse().map((s) => s())).then(() => undefined);
    return stopping;
  };
  try {
    const chain = new LocalSvm();
    const rpc = await startSolanaRpc(chain);
    stoppers.push(() => rpc.close());
    const funding = await setUpFunding(chain);

    const newWallet = async (usdcAtomic = 0n): Promise<SolanaRigWallet> => {
      const wallet = await walletFromSeed(randomBytes(32));
      if (usdcAtomic > 0n) await funding.mintUsdc(wallet.address, usdcAtomic);
      return wallet;
    };

    const feePayer = (await newWallet()).signer;
    funding.airdrop(feePayer.address, 10n * LAMPORTS_PER_SOL);
    const payTo = (await newWallet()).address;
    await funding.createUsdcAta(payTo);
    const payer = await newWallet(options.payerUsdc ?? 100_000_000n);

    const { facilitator, client } = createSvmFacilitator({ feePayer, rpcUrl: rpc.url });
    const latencyOpt = options.latencyMs ?? 0;
    const latencyV1: Latency = { ms: typeof latencyOpt === "number" ? latencyOpt : (latencyOpt.v1 ?? 0) };
    const latencyV2: Latency = { ms: typeof latencyOpt === "number" ? latencyOpt : (latencyOpt.v2 ?? 0) };
    const routes = options.routes ?? DEFAULT_ROUTES;
    const v2 = await startSvmServer({
      routes,
      payTo,
      facilitator: client,
      latency: latencyV2,
      ...(options.embedBlockhash ? { blockhashRpcUrl: rpc.url } : {}),
      ...(options.evm ? { evm: options.evm } : {}),
    });
    stoppers.push(() => v2.close());
    const facilitatorHttp = await startFacilitatorHttp(facilitator);
    stoppers.push(() => facilitatorHttp.close());
    const v1 = await startSvmServerV1({ routes, payTo, facilitatorUrl: facilitatorHttp.url, latency: latencyV1 });
    stoppers.push(() => v1.close());

    return {
      rpcUrl: rpc.url,
      rpc,
      chain,
      network: SOLANA_DEVNET,
      networkV1: SOLANA_DEVNET_V1,
      usdc: DEVNET_USDC_MINT,
      payTo,
      feePayer: feePayer.address,
      payer,
      v2: { url: v2.url, setLatencyMs: (ms) => void (latencyV2.ms = ms) },
      v1: { url: v1.url, facilitatorUrl: facilitatorHttp.url, setLatencyMs: (ms) => void (latencyV1.ms = ms) },
      newWallet,
      mintUsdc: async (owner, atomic) => void (await funding.mintUsdc(owner, atomic)),
      createUsdcAta: funding.createUsdcAta,
      usdcAta: funding.usdcAta,
      usdcBalanceOf: funding.usdcBalanceOf,
      lamportsOf: (owner) => chain.lamportsOf(owner),
      airdrop: funding.airdrop,
      advanceBlocks: (blocks) => chain.advance(blocks),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A signer whose secret the test keeps: generateKeyPairSigner's keys cannot be exported. */
async function walletFromSeed(seed: Uint8Array): Promise<SolanaRigWallet> {
  const signer = await createKeyPairSignerFromPrivateKeyBytes(seed);
  const secretKey = new Uint8Array(64);
  secretKey.set(seed, 0);
  secretKey.set(getBase58Encoder().encode(signer.address), 32);
  return { signer, address: signer.address, secretKey, secretKeyBase58: getBase58Decoder().decode(secretKey) };
}
