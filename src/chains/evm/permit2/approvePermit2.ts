import { createPublicClient, createWalletClient, http, maxUint256, type Address, type Hash, type LocalAccount } from "viem";
import type { EvmNetworkInfo } from "../networks.js";
import { viemChain } from "../networks.js";
import { PERMIT2_ADDRESS } from "./constants.js";
import { readAllowance } from "./readAllowance.js";

const approveAbi = [
  {
    type: "function",
    name: "approve",
    stateMutability: "nonpayable",
    inputs: [
      { name: "spender", type: "address" },
      { name: "value", type: "uint256" },
    ],
    outputs: [{ type: "bool" }],
  },
] as const;

/** What `token.approve(Permit2, max)` from the wallet would cost, before it is sent. */
export interface ApprovalQuote {
  /** Today's allowance of Permit2 over the wallet's token. */
  allowance: bigint;
  gas: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  /** The most the transaction can cost, in wei of the network's gas token: gas × maxFeePerGas. */
  maxCost: bigint;
  /** The wallet's balance of the gas token, in wei. */
  nativeBalance: bigint;
}

export interface ApprovalSent {
  transaction: Hash;
  succeeded: boolean;
  /** What it cost, in wei: gas used × effective gas price. */
  cost: bigint;
  allowance: bigint;
}

/**
 * The one transaction this wallet ever sends itself: the ERC-20 approval Permit2 needs to
 * move the token at all, for the largest amount (as Uniswap's own apps do), so it is sent
 * once per token and network. Each payment is still a separate signed permit of its exact
 * amount; the approval alone lets nothing move.
 */
export class Permit2Approval {
  private readonly chain;
  private readonly reader;

  constructor(
    network: EvmNetworkInfo,
    private readonly rpcUrl: string,
    private readonly account: LocalAccount,
    private readonly token: Address,
  ) {
    this.chain = viemChain(network);
    this.reader = createPublicClient({ chain: this.chain, transport: http(rpcUrl) });
  }

  async quote(): Promise<ApprovalQuote> {
    const [allowance, gas, fees, nativeBalance] = await Promise.all([
      readAllowance(this.reader, this.token, this.account.address, PERMIT2_ADDRESS),
      this.reader.estimateContractGas({ account: this.account, address: this.token, abi: approveAbi, functionName: "approve", args: [PERMIT2_ADDRESS, maxUint256] }),
      this.reader.estimateFeesPerGas(),
      this.reader.getBalance({ address: this.account.address }),
    ]);
    return { allowance, gas, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas, maxCost: gas * fees.maxFeePerGas, nativeBalance };
  }

  /** Sends the approval under the quoted gas and fees, and waits for it to be mined. */
  async send(quote: ApprovalQuote): Promise<ApprovalSent> {
    const wallet = createWalletClient({ account: this.account, chain: this.chain, transport: http(this.rpcUrl) });
    const transaction = await wallet.writeContract({
      address: this.token,
      abi: approveAbi,
      functionName: "approve",
      args: [PERMIT2_ADDRESS, maxUint256],
      gas: quote.gas,
      maxFeePerGas: quote.maxFeePerGas,
      maxPriorityFeePerGas: quote.maxPriorityFeePerGas,
    });
    const receipt = await this.reader.waitForTransactionReceipt({ hash: transaction });
    const allowance = await readAllowance(this.reader, this.token, this.account.address, PERMIT2_ADDRESS);
    return { transaction, succeeded: receipt.status === "success", cost: receipt.gasUsed * receipt.effectiveGasPrice, allowance };
  }
}
