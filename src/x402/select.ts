import { findAsset, type AssetInfo } from "../chain/assets.js";
import { CodedError, ErrorCode } from "../errors.js";
import { assetToUsdMicros, formatUsd } from "../money.js";
import { SCHEMES, findScheme } from "../schemes/index.js";
import type { PaymentScheme } from "../schemes/types.js";
import type { PaymentOption, PaymentRequired } from "./types.js";

export interface SelectionPolicy {
  /** CAIP-2 networks the owner allows. */
  networks: readonly string[];
  assets: readonly AssetInfo[];
}

export interface PayableOption {
  option: PaymentOption;
  asset: AssetInfo;
  scheme: PaymentScheme;
  /** The price in USD micros, rounded up. */
  usdMicros: bigint;
}

export interface Selection {
  chosen: PayableOption;
  /** Every option not chosen because it could not be paid, with the reason. */
  refused: { option: PaymentOption; reason: string }[];
}

/** Why an option cannot be paid at all (before any cap is looked at), or null. */
export function refusalReason(option: PaymentOption, policy: SelectionPolicy): string | null {
  const scheme = findScheme(option);
  if (!scheme) {
    return `scheme "${option.scheme}" on ${option.network} is not supported (supported: ${SCHEMES.map((s) => s.label).join(", ")})`;
  }
  if (!policy.networks.includes(option.network)) {
    return `network ${option.network} is not enabled (enabled: ${policy.networks.join(", ")}; see the "networks" config key)`;
  }
  const schemeRefusal = scheme.refusal(option);
  if (schemeRefusal) return schemeRefusal;
  if (!findAsset(policy.assets, option.network, option.asset)) {
    return `asset ${option.asset} is not a known token on ${option.network}; only known tokens are ever signed for`;
  }
  return null;
}

/** The cheapest option this wallet can pay, in USD; ties keep the server's order. */
export function selectPaymentOption(required: PaymentRequired, policy: SelectionPolicy, url: string): Selection {
  const refused: Selection["refused"] = [];
  const payable: PayableOption[] = [];
  for (const option of required.options) {
    const reason = refusalReason(option, policy);
    if (reason) {
      refused.push({ option, reason });
      continue;
    }
    const asset = findAsset(policy.assets, option.network, option.asset)!;
    payable.push({
      option,
      asset,
      scheme: findScheme(option)!,
      usdMicros: assetToUsdMicros(option.amount, asset.decimals, asset.usdPerUnitMicros),
    });
  }
  const chosen = payable.reduce<PayableOption | undefined>(
    (best, candidate) => (best === undefined || candidate.usdMicros < best.usdMicros ? candidate : best),
    undefined,
  );
  if (!chosen) {
    const reasons = refused.slice(0, 5).map((r) => `${describeOption(r.option)}: ${r.reason}`);
    throw new CodedError(
      ErrorCode.NO_ACCEPTABLE_PAYMENT_OPTION,
      `${url} asks for payment, but none of its ${required.options.length} option(s) can be paid by this wallet: ${reasons.join("; ")}${
        refused.length > 5 ? `; and ${refused.length - 5} more` : ""
      }. Nothing was paid.`,
      { url, refused: refused.map((r) => ({ network: r.option.network, asset: r.option.asset, reason: r.reason })) },
    );
  }
  return { chosen, refused: refused.concat(payable.filter((p) => p !== chosen).map((p) => ({ option: p.option, reason: `costs ${formatUsd(p.usdMicros)} USD, more than the chosen option` }))) };
}

function describeOption(option: PaymentOption): string {
  return `${option.scheme} ${option.amount} of ${option.asset} on ${option.network}`;
}
