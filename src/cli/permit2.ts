import { createInterface } from "node:readline/promises";
import type { LocalAccount } from "viem";
import { assetTable, findAsset } from "../chains/assets.js";
import { findEvmNetwork } from "../chains/evm/networks.js";
import { Permit2Approval, type ApprovalQuote } from "../chains/evm/permit2/approvePermit2.js";
import { PERMIT2_ADDRESS } from "../chains/evm/permit2/constants.js";
import { explorerUrl } from "../chains/index.js";
import { loadConfig } from "../config/load.js";
import { CodedError, ErrorCode } from "../errors.js";
import { formatDecimal } from "../money.js";
import { NO_WALLET_HINT, loadWallet } from "../wallet/loadWallet.js";
import { print } from "./output.js";
import { UsageError, parseCommandArgs } from "./usage.js";

/**
 * `x402-wallet-mcp permit2 approve --network eip155:… --token 0x… [--yes]`: the one-time
 * approval a token paid through Permit2 needs, sent from the wallet by its owner. Never a
 * tool: an agent cannot send a transaction. The gas it may cost is shown, and nothing is sent
 * without a "y" at a terminal or `--yes`.
 */
export async function runPermit2(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "approve") throw new UsageError(sub === undefined ? "permit2: say what to do: permit2 approve --network … --token …" : `permit2: unknown subcommand "${sub}" (known: approve)`);
  const { values } = parseCommandArgs("permit2 approve", rest, {
    network: { type: "string" },
    token: { type: "string" },
    yes: { type: "boolean" },
    config: { type: "string" },
  });
  if (!values.network || !values.token) throw new UsageError("permit2 approve: give --network (CAIP-2, e.g. eip155:8453) and --token (the token's address)");

  const config = loadConfig({ configPath: values.config });
  const network = findEvmNetwork(values.network);
  if (!network) throw new CodedError(ErrorCode.INVALID_INPUT, `${values.network} is not an EVM network this wallet knows.`);
  if (!config.networks.includes(network.caip2)) {
    throw new CodedError(ErrorCode.INVALID_INPUT, `${network.displayName} (${network.caip2}) is not enabled: add it to "networks" in the config first.`);
  }
  const asset = findAsset(assetTable(config.assets), network.caip2, values.token);
  if (!asset) {
    throw new CodedError(ErrorCode.INVALID_INPUT, `${values.token} is not a known token on ${network.displayName}: only the default tokens and the config's "assets" are ever approved.`);
  }
  const account = loadWallet();
  if (!account) throw new CodedError(ErrorCode.NO_WALLET, `No wallet key is configured. ${NO_WALLET_HINT}`);
  // Checked before any RPC call, so a refusal costs nothing.
  if (!values.yes && !process.stdin.isTTY) {
    throw new CodedError(ErrorCode.INVALID_INPUT, "permit2 approve sends a transaction and asks for confirmation, but there is no terminal to ask on; run it in a terminal, or pass --yes to send without asking.");
  }

  const approval = new Permit2Approval(network, config.rpc[network.caip2] ?? network.defaultRpc, account as LocalAccount, asset.address as `0x${string}`);
  const quote = await approval.quote();
  const gasToken = (wei: bigint) => `${formatDecimal(wei, 18)} ${network.nativeSymbol}`;
  print(describeQuote(quote, { asset: `${asset.symbol} ${asset.address}`, network: `${network.displayName} (${network.caip2})`, wallet: account.address, gasToken }));
  if (quote.nativeBalance < quote.maxCost) {
    throw new CodedError(
      ErrorCode.INSUFFICIENT_FUNDS,
      `The wallet ${account.address} holds ${gasToken(quote.nativeBalance)}, less than the ${gasToken(quote.maxCost)} this transaction may cost. Send ${network.nativeSymbol} on ${network.displayName} to it, then run this again. Nothing was sent.`,
    );
  }
  if (!values.yes && !(await confirm("Send this transaction? [y/N] "))) {
    print("Not sent.");
    return 1;
  }
  const sent = await approval.send(quote);
  const link = explorerUrl(network.caip2, sent.transaction);
  if (!sent.succeeded) {
    throw new CodedError(ErrorCode.HTTP_ERROR, `The approval transaction ${sent.transaction} reverted${link ? ` (${link})` : ""}; it cost ${gasToken(sent.cost)}. Permit2 still cannot move ${asset.symbol}.`);
  }
  print(`Approved: transaction ${sent.transaction}${link ? ` (${link})` : ""}, gas paid ${gasToken(sent.cost)}. Permit2 may now move ${asset.symbol} for signed payments; each payment is still signed for its exact amount.`);
  return 0;
}

function describeQuote(quote: ApprovalQuote, facts: { asset: string; network: string; wallet: string; gasToken: (wei: bigint) => string }): string {
  return [
    `Approve Permit2 (${PERMIT2_ADDRESS}) to move ${facts.asset} from ${facts.wallet} on ${facts.network}.`,
    `Current allowance: ${quote.allowance.toString()} (atomic units).`,
    `Gas: ${quote.gas.toString()} units at most ${formatDecimal(quote.maxFeePerGas, 9)} gwei each: at most ${facts.gasToken(quote.maxCost)} (the wallet holds ${facts.gasToken(quote.nativeBalance)}).`,
  ].join("\n");
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
