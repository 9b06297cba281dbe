import type { AssetInfo } from "../chain/assets.js";
import { explorerUrl } from "../chain/networks.js";
import { formatDecimal } from "../money.js";
import type { PaymentOption } from "../x402/types.js";

/** What the model and the person are told about one payment. Field names are a public contract. */
export interface Receipt {
  status: "settled" | "unconfirmed";
  /** Decimal amount in the asset's units (USD for USDC). */
  amount: string;
  amountAtomic: string;
  asset: string;
  symbol: string;
  network: string;
  payTo: string;
  payer: string;
  transaction: string | null;
  explorerUrl: string | null;
  scheme: string;
  x402Version: 1 | 2;
  resource: string;
  paidAt: string;
  /** Why the status is `unconfirmed`, when it is. */
  note?: string;
}

export function buildReceipt(args: {
  option: PaymentOption;
  asset: AssetInfo;
  payer: string;
  url: string;
  transaction: string | null;
  note?: string;
}): Receipt {
  const { option, asset, transaction } = args;
  return {
    status: transaction ? "settled" : "unconfirmed",
    amount: formatDecimal(option.amount, asset.decimals),
    amountAtomic: option.amount.toString(),
    asset: asset.address,
    symbol: asset.symbol,
    network: option.network,
    payTo: option.payTo,
    payer: args.payer,
    transaction,
    explorerUrl: transaction ? explorerUrl(option.network, transaction) : null,
    scheme: option.scheme,
    x402Version: option.x402Version,
    resource: option.resource ?? args.url,
    paidAt: new Date().toISOString(),
    ...(args.note ? { note: args.note } : {}),
  };
}
