import { CodedError, ErrorCode } from "../../../errors.js";
import { formatDecimal } from "../../../money.js";
import type { ChainReads, PreflightInput } from "../../types.js";
import { findEvmNetwork } from "../networks.js";
import { PERMIT2_ADDRESS } from "./constants.js";

/** Permit2's allowance over the wallet's token, or null when it already covers the option's amount. */
export async function permit2AllowanceShortfall(reads: ChainReads, { account, option, asset }: PreflightInput): Promise<bigint | null> {
  const allowance = await reads.readAllowance(asset, account.address, PERMIT2_ADDRESS);
  return allowance >= option.amount ? null : allowance;
}

/**
 * The refusal when Permit2 may not move the wallet's token: nothing is signed, and the owner
 * is told the one command that fixes it. `gasless`: why the server's gasless approval could
 * not be used instead, when it offered one.
 */
export function permit2ApprovalRequired({ account, option, asset }: PreflightInput, allowance: bigint, gasless?: string): CodedError {
  const network = findEvmNetwork(option.network)?.displayName ?? option.network;
  const command = `x402-wallet-mcp permit2 approve --network ${option.network} --token ${asset.address}`;
  const offered = gasless ? ` The server offers a gasless approval (eip2612GasSponsoring), but it cannot be used here: ${gasless}.` : "";
  return new CodedError(
    ErrorCode.PERMIT2_APPROVAL_REQUIRED,
    `This server is paid in ${asset.symbol} on ${network} through Permit2, and the wallet ${account.address} has not approved Permit2 to move its ${asset.symbol} ` +
      `(allowance ${formatDecimal(allowance, asset.decimals)}, price ${formatDecimal(option.amount, asset.decimals)}).${offered} ` +
      `The wallet's owner approves it once, from a terminal (it sends a transaction and costs gas): ${command}. Nothing was signed or paid.`,
    { command, network: option.network, token: asset.address, allowance: allowance.toString(), price: option.amount.toString(), ...(gasless ? { gasless } : {}) },
  );
}

/** Refuses (PERMIT2_APPROVAL_REQUIRED) when Permit2 may not move the option's amount; the upto scheme's precondition. */
export async function requirePermit2Allowance(reads: ChainReads, input: PreflightInput): Promise<void> {
  const allowance = await permit2AllowanceShortfall(reads, input);
  if (allowance !== null) throw permit2ApprovalRequired(input, allowance);
}
