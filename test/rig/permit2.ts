import { PERMIT2_ADDRESS, x402ExactPermit2ProxyAddress, x402UptoPermit2ProxyAddress } from "@x402/evm";
import {
  concat,
  getAddress,
  getContractAddress,
  maxUint256,
  parseAbi,
  parseEther,
  type Address,
  type Chain,
  type Hash,
  type HttpTransport,
  type PublicClient,
  type TestClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createSignerClient, type SignerClient } from "./chain.js";
import { compileContracts } from "./compile.js";
import { buildPermit2 } from "./permit2Build.js";

/** Canonical Permit2, and the two x402 proxies at the addresses @x402/evm signs for. */
export const PERMIT2: Address = getAddress(PERMIT2_ADDRESS);
export const X402_EXACT_PERMIT2_PROXY: Address = getAddress(x402ExactPermit2ProxyAddress);
export const X402_UPTO_PERMIT2_PROXY: Address = getAddress(x402UptoPermit2ProxyAddress);
/** The deterministic-deployment proxy anvil ships (Arachnid's), which Uniswap deployed Permit2 through. */
export const CREATE2_DEPLOYER: Address = "0x4e59b44847b379578588920cA78FbF26c0B4956C";

/** The rig's ERC-20 without EIP-3009 or EIP-2612: payable through Permit2 only. */
export const PLAIN_TOKEN_ADDRESS: Address = "0x9a1e000000000000000000000000000000000018";
export const PLAIN_TOKEN_DECIMALS = 18;

export const plainTokenAbi = parseAbi([
  "function name() view returns (string)",
  "function symbol() view returns (string)",
  "function decimals() view returns (uint8)",
  "function totalSupply() view returns (uint256)",
  "function balanceOf(address account) view returns (uint256)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function approve(address spender, uint256 value) returns (bool)",
  "function transfer(address to, uint256 value) returns (bool)",
  "function transferFrom(address from, address to, uint256 value) returns (bool)",
  "function mint(address to, uint256 amount)",
  "event Transfer(address indexed from, address indexed to, uint256 value)",
  "event Approval(address indexed owner, address indexed spender, uint256 value)",
]);

export const permit2Abi = parseAbi([
  "function DOMAIN_SEPARATOR() view returns (bytes32)",
  "function nonceBitmap(address owner, uint256 wordPos) view returns (uint256)",
]);

type RigClients = {
  publicClient: PublicClient<HttpTransport, Chain>;
  testClient: TestClient<"anvil", HttpTransport, Chain>;
};

/**
 * Puts Permit2, both x402 proxies and the plain ERC-20 on an anvil chain; idempotent.
 *
 * Permit2 is deployed for real: a transaction from `deployer` to the CREATE2 deployer with
 * Uniswap's salt, so its constructor fixes the chain id and domain separator as on a live chain,
 * and it lands at the canonical address only when the compiled creation code is byte-identical
 * to Uniswap's. The proxies and the token hold no constructor state, so anvil_setCode places them.
 */
export async function installPermit2(clients: RigClients & { deployer: SignerClient }): Promise<void> {
  const { publicClient, testClient, deployer } = clients;
  const contracts = compileContracts();
  await Promise.all([
    testClient.setCode({ address: X402_EXACT_PERMIT2_PROXY, bytecode: contracts.X402ExactPermit2Proxy }),
    testClient.setCode({ address: X402_UPTO_PERMIT2_PROXY, bytecode: contracts.X402UptoPermit2Proxy }),
    testClient.setCode({ address: PLAIN_TOKEN_ADDRESS, bytecode: contracts.PlainToken }),
  ]);
  if (await hasCode(publicClient, PERMIT2)) return;

  if (!(await hasCode(publicClient, CREATE2_DEPLOYER))) {
    throw new Error(
      `test rig: anvil has no CREATE2 deployer at ${CREATE2_DEPLOYER} (started with --disable-create2-deployer?)`,
    );
  }
  const build = buildPermit2();
  const predicted = getContractAddress({
    opcode: "CREATE2",
    from: CREATE2_DEPLOYER,
    salt: build.salt,
    bytecode: build.initCode,
  });
  if (predicted !== PERMIT2) {
    throw new Error(
      `test rig: the compiled Permit2 differs from Uniswap's: CREATE2 would put it at ${predicted}, not ${PERMIT2}`,
    );
  }
  const hash = await deployer.sendTransaction({
    to: CREATE2_DEPLOYER,
    data: concat([build.salt, build.initCode]),
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || !(await hasCode(publicClient, PERMIT2))) {
    throw new Error(`test rig: deploying Permit2 through ${CREATE2_DEPLOYER} failed (tx ${hash})`);
  }
}

export interface RigTokenWallet {
  privateKey: `0x${string}`;
  address: Address;
}

/**
 * The one-time `token.approve(Permit2, amount)` every Permit2 payer needs, sent from `wallet`
 * as a plain transaction. Rig wallets hold no ETH, so one without any is first given 1 ETH for
 * gas (anvil_setBalance). Resolves once mined.
 */
export async function approvePermit2(
  clients: RigClients & { rpcUrl: string; chain: Chain },
  wallet: RigTokenWallet,
  token: Address,
  amount: bigint = maxUint256,
): Promise<Hash> {
  const { publicClient, testClient } = clients;
  if ((await publicClient.getBalance({ address: wallet.address })) === 0n) {
    await testClient.setBalance({ address: wallet.address, value: parseEther("1") });
  }
  const signer = createSignerClient(clients.rpcUrl, clients.chain, privateKeyToAccount(wallet.privateKey));
  const hash = await signer.writeContract({
    address: token,
    abi: plainTokenAbi,
    functionName: "approve",
    args: [PERMIT2, amount],
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`test rig: approve(Permit2) on ${token} reverted (tx ${hash})`);
  return hash;
}

async function hasCode(publicClient: PublicClient<HttpTransport, Chain>, address: Address): Promise<boolean> {
  const code = await publicClient.getCode({ address });
  return code !== undefined && code !== "0x";
}
