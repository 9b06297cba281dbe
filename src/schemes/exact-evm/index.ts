import { getAddress, isAddress } from "viem/utils";
import { findNetwork } from "../../chain/networks.js";
import type { PaymentScheme, SignedPayment, SignPaymentInput } from "../types.js";
import { signingWindowSeconds } from "./signingWindow.js";

/**
 * Scheme `exact` on EVM: an EIP-3009 `transferWithAuthorization` signed with EIP-712.
 * The signature itself is made by the official @x402/evm client schemes; this module
 * decides exactly what they sign: the amount that was reserved, our own record of the
 * token's domain, a bounded validity window. Nothing the server sent is passed through
 * unchecked. @x402/evm (and with it viem's root entry point) is loaded on the first
 * signature, not at start-up.
 */
export const exactEvmScheme: PaymentScheme = {
  label: "exact on EVM",

  handles: (option) => option.scheme === "exact" && option.network.startsWith("eip155:"),

  refusal(option) {
    if (!isAddress(option.payTo, { strict: false })) return `payTo ${JSON.stringify(option.payTo)} is not an EVM address`;
    if (!isAddress(option.asset, { strict: false })) return `asset ${JSON.stringify(option.asset)} is not an EVM address`;
    const method = option.extra.assetTransferMethod;
    if (method !== undefined && method !== "eip3009") {
      return `asset transfer method ${JSON.stringify(method)} is not supported (this wallet signs EIP-3009 authorizations)`;
    }
    if (!findNetwork(option.network)) return `network ${option.network} has no signing support here`;
    return null;
  },

  async sign({ account, option, asset, required }: SignPaymentInput): Promise<SignedPayment> {
    const network = findNetwork(option.network);
    if (!network) throw new Error(`network ${option.network} has no signing support`);
    const window = signingWindowSeconds(option.maxTimeoutSeconds);
    const common = {
      scheme: "exact",
      asset: asset.address,
      payTo: getAddress(option.payTo),
      maxTimeoutSeconds: window,
      extra: { name: asset.eip712.name, version: asset.eip712.version },
    };
    const signedAt = Math.floor(Date.now() / 1000);
    if (option.x402Version === 1) {
      const requirements = {
        ...common,
        network: network.v1Name,
        maxAmountRequired: option.amount.toString(),
        resource: option.resource ?? "",
        description: option.description ?? "",
        mimeType: "",
        outputSchema: {},
      };
      const { ExactEvmSchemeV1 } = await import("@x402/evm/exact/v1/client");
      const signed = await new ExactEvmSchemeV1(account).createPaymentPayload(1, requirements as never);
      return { payload: { ...signed }, payer: account.address, validBefore: signedAt + window, nonce: nonceOf(signed.payload) };
    }
    const requirements = { ...common, network: network.caip2, amount: option.amount.toString() };
    const { ExactEvmScheme } = await import("@x402/evm/exact/client");
    const signed = await new ExactEvmScheme(account).createPaymentPayload(2, requirements);
    return {
      payload: {
        x402Version: 2,
        payload: signed.payload,
        ...(required.resource ? { resource: required.resource } : {}),
        accepted: option.wire,
        ...(required.extensions ? { extensions: required.extensions } : {}),
      },
      payer: account.address,
      validBefore: signedAt + window,
      nonce: nonceOf(signed.payload),
    };
  },
};

function nonceOf(payload: Record<string, unknown>): string | undefined {
  const nonce = (payload.authorization as { nonce?: unknown } | undefined)?.nonce;
  return typeof nonce === "string" ? nonce : undefined;
}
