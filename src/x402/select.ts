import { findAsset } from "../chains/assets.js";
import { SCHEMES, findScheme } from "../chains/index.js";
import type { AssetInfo, PaymentScheme } from "../chains/types.js";
import { CodedError, ErrorCode } from "../errors.js";
import { payeeRefusal, type PayeeRules } from "../policy/payees.js";
import { assetToUsdMicros } from "../money.js";
import type { PaymentOption, PaymentRequired } from "./types.js";

export interface SelectionPolicy {
  /** CAIP-2 networks the owner allows. */
  networks: readonly string[];
  assets: readonly AssetInfo[];
  payees: PayeeRules;
  /** Why the wallet holds no key for this network's family (how to set one), or null when it does. */
  missingKey?: (network: string) => string | null;
}

export interface PayableOption {
  option: PaymentOption;
  asset: AssetInfo;
  scheme: PaymentScheme;
  /** The price in USD micros, rounded up. */
  usdMicros: bigint;
}

export interface Refusal {
  /** PAYEE_NOT_ALLOWED when the owner's payee rules refused it; otherwise the wallet cannot pay it. */
  code: typeof ErrorCode.PAYEE_NOT_ALLOWED | typeof ErrorCode.NO_ACCEPTABLE_PAYMENT_OPTION;
  reason: string;
}

/** Why an option cannot be paid at all (before any cap is looked at), or null. */
export function refusalOf(option: PaymentOption, policy: SelectionPolicy): Refusal | null {
  const cannot = (reason: string): Refusal => ({ code: ErrorCode.NO_ACCEPTABLE_PAYMENT_OPTION, reason });
  const scheme = findScheme(option);
  if (!scheme) {
    return cannot(`scheme "${option.scheme}" on ${option.network} is not supported (supported: ${SCHEMES.map((s) => s.label).join(", ")})`);
  }
  if (!policy.networks.includes(option.network)) {
    return cannot(`network ${option.network} is not enabled (enabled: ${policy.networks.join(", ")}; see the "networks" config key)`);
  }
  const noKey = policy.missingKey?.(option.network);
  if (noKey) return cannot(noKey);
  const asset = findAsset(policy.assets, option.network, option.asset);
  const schemeRefusal = scheme.refusal(option, asset);
  if (schemeRefusal) return cannot(schemeRefusal);
  if (!asset) {
    return cannot(`asset ${option.asset} is not a known token on ${option.network}; only known tokens are ever signed for`);
  }
  const payee = payeeRefusal(option.payTo, policy.payees);
  return payee ? { code: ErrorCode.PAYEE_NOT_ALLOWED, reason: payee } : null;
}

export interface Evaluation {
  /** Payable options, cheapest first; at one price, in the order of the owner's `networks`, then the server's. */
  payable: PayableOption[];
  refused: { option: PaymentOption; reason: string; code: Refusal["code"] }[];
}

/** Sorts every option into payable (with its USD price) or refused (with the reason). */
export function evaluateOptions(required: PaymentRequired, policy: SelectionPolicy): Evaluation {
  const refused: Evaluation["refused"] = [];
  const payable: PayableOption[] = [];
  for (const option of required.options) {
    const refusal = refusalOf(option, policy);
    if (refusal) {
      refused.push({ option, ...refusal });
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
  // The owner's `networks` order is their preference between chains (and families) at one price;
  // Array.prototype.sort is stable, so options equal in both keep the server's order.
  const rank = (p: PayableOption) => policy.networks.indexOf(p.option.network);
  payable.sort((a, b) => (a.usdMicros < b.usdMicros ? -1 : a.usdMicros > b.usdMicros ? 1 : rank(a) - rank(b)));
  return { payable, refused };
}

/** The cheapest option this wallet can pay; throws with every option's reason when there is none. */
export function selectPaymentOption(required: PaymentRequired, policy: SelectionPolicy, url: string): PayableOption {
  const { payable, refused } = evaluateOptions(required, policy);
  const chosen = payable[0];
  if (chosen) return chosen;
  const reasons = refused.slice(0, 5).map((r) => `${describeOption(r.option)}: ${r.reason}`);
  const onlyPayees = refused.every((r) => r.code === ErrorCode.PAYEE_NOT_ALLOWED);
  throw new CodedError(
    onlyPayees ? ErrorCode.PAYEE_NOT_ALLOWED : ErrorCode.NO_ACCEPTABLE_PAYMENT_OPTION,
    `${url} asks for payment, but none of its ${required.options.length} option(s) can be paid${
      onlyPayees ? " under the owner's payee rules" : " by this wallet"
    }: ${reasons.join("; ")}${refused.length > 5 ? `; and ${refused.length - 5} more` : ""}. Nothing was paid.`,
    { url, refused: refused.map((r) => ({ network: r.option.network, asset: r.option.asset, reason: r.reason })) },
  );
}

function describeOption(option: PaymentOption): string {
  return `${option.scheme} ${option.amount} of ${option.asset} on ${option.network}`;
}
