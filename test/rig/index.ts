import {
  type Address,
  type Chain,
  type Hash,
  type Hex,
  type HttpTransport,
  type PublicClient,
  type TestClient,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createNonceManager, jsonRpc } from "viem/nonce";
import { startAnvil } from "./anvil.js";
import { CHAIN_ID, DEV_KEYS, createClients, createSignerClient, localBaseSepolia } from "./chain.js";
import { compileContracts } from "./compile.js";
import { createFacilitatorV2 } from "./facilitatorV2.js";
import { startFacilitatorV1 } from "./facilitatorV1.js";
import { DEFAULT_ROUTES, type Latency, type RouteSpec } from "./routes.js";
import { startServerV1 } from "./serverV1.js";
import { startServerV2 } from "./serverV2.js";
import { MULTICALL3_ADDRESS, USDC_ADDRESS, usdcAbi } from "./token.js";

export { DEFAULT_ROUTES, type HttpMethod, type RouteContext, type RouteSpec } from "./routes.js";
export { CHAIN_ID, NETWORK_V1, NETWORK_V2 } from "./chain.js";
export {
  MULTICALL3_ADDRESS,
  USDC_ADDRESS,
  USDC_DECIMALS,
  USDC_EIP712,
  usdToAtomic,
  usdcAbi,
} from "./token.js";

export interface RigOptions {
  /** Routes served identically by the v1 and v2 servers. Default: {@link DEFAULT_ROUTES}. */
  routes?: RouteSpec[];
  /** Artificial delay per request, one number for both servers or per server. Default 0. */
  latencyMs?: number | { v1?: number; v2?: number };
  /** Test USDC (atomic, 6 decimals) minted to `rig.payer`. Default 100 USDC. */
  payerUsdc?: bigint;
}

export interface RigWallet {
  privateKey: Hex;
  address: Address;
}

export interface RigServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  /** Change the artificial per-request delay of this server from now on. */
  setLatencyMs(ms: number): void;
}

export interface Rig {
  rpcUrl: string;
  chainId: typeof CHAIN_ID;
  /** viem's baseSepolia with its RPC URL pointed at the local anvil. */
  chain: Chain;
  /** Test USDC, installed at the real Base Sepolia USDC address. */
  usdc: Address;
  /** Receives every payment made to the v1 and v2 servers. */
  payTo: Address;
  /** Account that submits settlement transactions (shared by the v1 and v2 facilitators). */
  facilitator: Address;
  /** Created at start with `payerUsdc` test USDC and no ETH (x402 payers only sign). */
  payer: RigWallet;
  /** @x402/express (protocol v2) server with an in-process official facilitator. */
  v2: RigServer;
  /** x402-express (protocol v1) server and the local HTTP facilitator it calls. */
  v1: RigServer & { facilitatorUrl: string };
  publicClient: PublicClient<HttpTransport, Chain>;
  /** anvil_* / evm_* controls (time travel, snapshots, setBalance…). */
  testClient: TestClient<"anvil", HttpTransport, Chain>;
  balanceOf(address: Address): Promise<bigint>;
  /** Random key, funded with `usdcAtomic` test USDC (default 0), no ETH. */
  newWallet(usdcAtomic?: bigint): Promise<RigWallet>;
  /** Mints test USDC and waits for it to be mined; resolves to the mint's transaction hash. */
  mint(to: Address, usdcAtomic: bigint): Promise<Hash>;
  /** Closes the servers and kills anvil. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_PAYER_USDC = 100_000_000n;

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const routes = options.routes ?? DEFAULT_ROUTES;
  const latencyOpt = options.latencyMs ?? 0;
  const latencyV1: Latency = { ms: typeof latencyOpt === "number" ? latencyOpt : (latencyOpt.v1 ?? 0) };
  const latencyV2: Latency = { ms: typeof latencyOpt === "number" ? latencyOpt : (latencyOpt.v2 ?? 0) };

  const stoppers: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    // Servers first (they may be mid-settlement against anvil), then anvil.
    stopping ??= (async () => {
      for (const fn of stoppers.reverse()) await fn().catch(() => undefined);
    })();
    return stopping;
  };

  try {
    const bytecode = compileContracts();
    const anvil = await startAnvil({ chainId: CHAIN_ID });
    stoppers.push(anvil.stop);

    const chain = localBaseSepolia(anvil.rpcUrl);
    const { publicClient, testClient } = createClients(anvil.rpcUrl, chain);
    await Promise.all([
      testClient.setCode({ address: USDC_ADDRESS, bytecode: bytecode.TestUSDC }),
      testClient.setCode({ address: MULTICALL3_ADDRESS, bytecode: bytecode.Multicall3 }),
    ]);

    // A manager per rig, not viem's global `nonceManager`: that one remembers the last nonce per
    // address+chainId for the whole process, so a second rig (fresh anvil, same dev accounts and
    // chain id) would start at a stale nonce and its transactions would never be mined.
    const nonceManager = createNonceManager({ source: jsonRpc() });
    const facilitatorWallet = createSignerClient(
      anvil.rpcUrl,
      chain,
      privateKeyToAccount(DEV_KEYS.facilitator, { nonceManager }),
    );
    // Minting uses its own account so test setup never queues behind (or races) settlements.
    const minterWallet = createSignerClient(
      anvil.rpcUrl,
      chain,
      privateKeyToAccount(DEV_KEYS.minter, { nonceManager }),
    );

    const mint = async (to: Address, usdcAtomic: bigint) => {
      const hash = await minterWallet.writeContract({
        address: USDC_ADDRESS,
        abi: usdcAbi,
        functionName: "mint",
        args: [to, usdcAtomic],
      });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`test rig: mint to ${to} reverted (tx ${hash})`);
      return hash;
    };
    const newWallet = async (usdcAtomic = 0n): Promise<RigWallet> => {
      const privateKey = generatePrivateKey();
      const { address } = privateKeyToAccount(privateKey);
      if (usdcAtomic > 0n) await mint(address, usdcAtomic);
      return { privateKey, address };
    };
    const balanceOf = (address: Address) =>
      publicClient.readContract({
        address: USDC_ADDRESS,
        abi: usdcAbi,
        functionName: "balanceOf",
        args: [address],
      });

    const payTo = privateKeyToAccount(generatePrivateKey()).address;
    const facilitatorV2 = createFacilitatorV2(facilitatorWallet);

    // Sequential on purpose: each step is milliseconds, and a failure part-way then leaves
    // exactly the already-registered pieces for stop() to clean up.
    const payer = await newWallet(options.payerUsdc ?? DEFAULT_PAYER_USDC);
    const facilitatorV1 = await startFacilitatorV1(facilitatorWallet);
    stoppers.push(facilitatorV1.close);
    const v2 = await startServerV2({ routes, payTo, facilitator: facilitatorV2.client, latency: latencyV2 });
    stoppers.push(v2.close);
    const v1 = await startServerV1({ routes, payTo, facilitatorUrl: facilitatorV1.url, latency: latencyV1 });
    stoppers.push(v1.close);

    return {
      rpcUrl: anvil.rpcUrl,
      chainId: CHAIN_ID,
      chain,
      usdc: USDC_ADDRESS,
      payTo,
      facilitator: facilitatorWallet.account.address,
      payer,
      v2: { url: v2.url, setLatencyMs: (ms) => void (latencyV2.ms = ms) },
      v1: { url: v1.url, facilitatorUrl: facilitatorV1.url, setLatencyMs: (ms) => void (latencyV1.ms = ms) },
      publicClient,
      testClient,
      balanceOf,
      newWallet,
      mint,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
