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
import { approvePermit2, installPermit2, PERMIT2, PLAIN_TOKEN_ADDRESS, plainTokenAbi } from "./permit2.js";
import { PERMIT2_EXACT_PATH, PERMIT2_ROUTES, UPTO_PATH } from "./permit2Routes.js";
import { DEFAULT_ROUTES, type Latency, type RouteSpec } from "./routes.js";
import { startServerV1 } from "./serverV1.js";
import { startServerV2 } from "./serverV2.js";
import { MULTICALL3_ADDRESS, USDC_ADDRESS, usdcAbi } from "./token.js";

export {
  DEFAULT_ROUTES,
  type HttpMethod,
  type RouteContext,
  type RouteSpec,
  type V2PaymentOption,
  type V2RouteSpec,
} from "./routes.js";
export {
  CREATE2_DEPLOYER,
  PERMIT2,
  PLAIN_TOKEN_ADDRESS,
  PLAIN_TOKEN_DECIMALS,
  X402_EXACT_PERMIT2_PROXY,
  X402_UPTO_PERMIT2_PROXY,
  approvePermit2,
  installPermit2,
  permit2Abi,
  plainTokenAbi,
} from "./permit2.js";
export {
  PERMIT2_EXACT_PATH,
  PERMIT2_EXACT_PRICE,
  PERMIT2_ROUTES,
  UPTO_DEFAULT_ACTUAL,
  UPTO_MAX_ATOMIC,
  UPTO_MAX_PRICE,
  UPTO_PATH,
} from "./permit2Routes.js";
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
  /**
   * Deploys Permit2 and the x402 Permit2 proxies, installs the plain ERC-20 and adds the
   * {@link PERMIT2_ROUTES} to the v2 server; `rig.permit2` is then set. Default false: the first
   * start compiles Permit2 (about 8 s, cached after).
   */
  permit2?: boolean;
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

/** What a rig started with `permit2: true` adds. */
export interface RigPermit2 {
  /** The plain ERC-20 (18 decimals, no EIP-3009/2612); `rig.payer` holds 100 of it. */
  token: Address;
  /** Full URLs on the v2 server: GET, `exact` through Permit2 in `token`, and `upto` in USDC. */
  urls: { exact: string; upto: string };
  /** Mints the plain ERC-20 and waits for it to be mined. */
  mintToken(to: Address, atomic: bigint): Promise<Hash>;
  /** Balance of `owner` in `token` (the plain ERC-20 unless said otherwise). */
  balanceOf(owner: Address, token?: Address): Promise<bigint>;
  /** `token.allowance(owner, Permit2)`. */
  allowance(owner: Address, token: Address): Promise<bigint>;
  /** The one-time approve(Permit2) from `wallet` (given 1 ETH for gas first if it has none). */
  approvePermit2(wallet: RigWallet, token: Address, amount?: bigint): Promise<Hash>;
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
  /** Set when started with `permit2: true`. */
  permit2?: RigPermit2;
  /** Closes the servers and kills anvil. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_PAYER_USDC = 100_000_000n;
const DEFAULT_PAYER_PLAIN = 100n * 10n ** 18n;

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

    if (options.permit2) {
      await installPermit2({ publicClient, testClient, deployer: minterWallet });
    }
    const mintToken = async (to: Address, atomic: bigint) => {
      const hash = await minterWallet.writeContract({
        address: PLAIN_TOKEN_ADDRESS,
        abi: plainTokenAbi,
        functionName: "mint",
        args: [to, atomic],
      });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`test rig: token mint to ${to} reverted (tx ${hash})`);
      return hash;
    };

    const payTo = privateKeyToAccount(generatePrivateKey()).address;
    const facilitatorV2 = createFacilitatorV2(facilitatorWallet);

    // Sequential on purpose: each step is milliseconds, and a failure part-way then leaves
    // exactly the already-registered pieces for stop() to clean up.
    const payer = await newWallet(options.payerUsdc ?? DEFAULT_PAYER_USDC);
    const facilitatorV1 = await startFacilitatorV1(facilitatorWallet);
    stoppers.push(facilitatorV1.close);
    const v2 = await startServerV2({
      routes,
      v2Routes: options.permit2 ? PERMIT2_ROUTES : [],
      payTo,
      facilitator: facilitatorV2.client,
      latency: latencyV2,
    });
    stoppers.push(v2.close);
    const v1 = await startServerV1({ routes, payTo, facilitatorUrl: facilitatorV1.url, latency: latencyV1 });
    stoppers.push(v1.close);

    let permit2: RigPermit2 | undefined;
    if (options.permit2) {
      await mintToken(payer.address, DEFAULT_PAYER_PLAIN);
      const clients = { publicClient, testClient, rpcUrl: anvil.rpcUrl, chain };
      permit2 = {
        token: PLAIN_TOKEN_ADDRESS,
        urls: { exact: `${v2.url}${PERMIT2_EXACT_PATH}`, upto: `${v2.url}${UPTO_PATH}` },
        mintToken,
        balanceOf: (owner, token = PLAIN_TOKEN_ADDRESS) =>
          publicClient.readContract({ address: token, abi: plainTokenAbi, functionName: "balanceOf", args: [owner] }),
        allowance: (owner, token) =>
          publicClient.readContract({
            address: token,
            abi: plainTokenAbi,
            functionName: "allowance",
            args: [owner, PERMIT2],
          }),
        approvePermit2: (wallet, token, amount) => approvePermit2(clients, wallet, token, amount),
      };
    }

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
      permit2,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
