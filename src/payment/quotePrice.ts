import { assertWithinCaps } from "../budget/caps.js";
import { CodedError, ErrorCode, isCodedError } from "../errors.js";
import type { HttpRequest } from "../http/types.js";
import { formatDecimal, formatUsd } from "../money.js";
import { assertHostAllowed } from "../policy/hosts.js";
import { signerFor, type Runtime } from "../runtime.js";
import { parsePaymentRequired } from "../x402/parsePaymentRequired.js";
import { evaluateOptions, type PayableOption } from "../x402/select.js";
import type { PaymentOption } from "../x402/types.js";
import { capsFor, selectionPolicy } from "./capsFor.js";

export interface QuotedOption {
  amount: string | null;
  amountAtomic: string;
  usd: string | null;
  asset: string;
  symbol: string | null;
  network: string;
  payTo: string;
  scheme: string;
  x402Version: 1 | 2;
  payable: boolean;
  chosen: boolean;
  /** Why this option cannot be paid; null when it can. */
  refusal: { code: string; reason: string } | null;
}

export interface Quote {
  url: string;
  status: number;
  paymentRequired: boolean;
  options: QuotedOption[];
  /** Whether paying the chosen option now would pass every cap and rule. */
  allowed: boolean;
  /** The code and message that would refuse it; null when allowed or nothing is asked. */
  refusal: { code: string; message: string } | null;
  /** The chosen payment is above approval.above: the person would be asked. */
  needsApproval: boolean;
}

/** Probes a URL and says what paying it would take, without signing or reserving anything. */
export async function quotePrice(rt: Runtime, request: HttpRequest, signal?: AbortSignal): Promise<Quote> {
  assertHostAllowed(new URL(request.url), rt.config.hosts);
  const probe = await rt.http.send(request, { followRedirects: true, signal });
  const quote = { url: probe.url, status: probe.status };
  if (probe.status !== 402) return { ...quote, paymentRequired: false, options: [], allowed: true, refusal: null, needsApproval: false };

  const required = parsePaymentRequired({ url: probe.url, header: probe.header, bodyText: probe.body.toString("utf8") });
  const { payable, refused } = evaluateOptions(required, selectionPolicy(rt));
  const chosen = payable[0];
  const options = [
    ...payable.map((p) => quoted(p.option, p, p === chosen, null)),
    ...refused.map((r) => quoted(r.option, undefined, false, { code: r.code, reason: r.reason })),
  ];
  if (!chosen) {
    const code = refused.every((r) => r.code === ErrorCode.PAYEE_NOT_ALLOWED) ? ErrorCode.PAYEE_NOT_ALLOWED : ErrorCode.NO_ACCEPTABLE_PAYMENT_OPTION;
    return { ...quote, paymentRequired: true, options, allowed: false, refusal: { code, message: "no offered option can be paid" }, needsApproval: false };
  }
  const refusal = await wouldRefuse(rt, chosen, probe.url);
  return {
    ...quote,
    paymentRequired: true,
    options,
    allowed: refusal === null,
    refusal,
    needsApproval: rt.approvalAbove !== null && chosen.usdMicros > rt.approvalAbove,
  };
}

async function wouldRefuse(rt: Runtime, chosen: PayableOption, url: string): Promise<Quote["refusal"]> {
  try {
    const signer = signerFor(rt, chosen.option.network);
    if (!signer) throw new CodedError(ErrorCode.NO_WALLET, "no wallet key is configured");
    const caps = capsFor(rt, chosen, url, undefined);
    const usage = await rt.budget.usage({ sessionId: rt.sessionId, hostPatterns: caps.limits.hosts.map((h) => h.pattern), agent: rt.agent?.name });
    assertWithinCaps({ usdMicros: chosen.usdMicros, limits: caps.limits, usage, url });
    const balance = await rt.chain.readBalance(chosen.asset, signer.address).catch(() => undefined);
    if (balance !== undefined && balance < chosen.option.amount) {
      throw new CodedError(
        ErrorCode.INSUFFICIENT_FUNDS,
        `the wallet holds ${formatDecimal(balance, chosen.asset.decimals)} ${chosen.asset.symbol}, less than the ${chosen.option.scheme === "upto" ? "maximum the server may take" : "price"}`,
      );
    }
    return null;
  } catch (error) {
    if (isCodedError(error)) return { code: error.code, message: error.message };
    throw error;
  }
}

function quoted(option: PaymentOption, payable: PayableOption | undefined, chosen: boolean, refusal: QuotedOption["refusal"]): QuotedOption {
  return {
    amount: payable ? formatDecimal(option.amount, payable.asset.decimals) : null,
    amountAtomic: option.amount.toString(),
    usd: payable ? formatUsd(payable.usdMicros) : null,
    asset: option.asset,
    symbol: payable?.asset.symbol ?? null,
    network: option.network,
    payTo: option.payTo,
    scheme: option.scheme,
    x402Version: option.x402Version,
    payable: payable !== undefined,
    chosen,
    refusal,
  };
}
