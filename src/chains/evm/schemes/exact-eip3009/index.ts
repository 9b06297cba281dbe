import { getAddress, isAddress } from "viem/utils";
import { signingWindowSeconds } from "../../../signingWindow.js";
import type { PaymentScheme, PreparedPayment, SignPaymentInput } from "../../../types.js";
import { evmAssetFacts, type EvmAssetInfo } from "../../assets.js";
import { findEvmNetwork } from "../../networks.js";
import { asEvmSigner } from "../../signer.js";
import { randomAuthorizationNonce, signTransferAuthorization, type TransferAuthorization } from "./signTransferAuthorization.js";

/**
 * Scheme `exact` on EVM: an EIP-3009 `transferWithAuthorization` signed with EIP-712, in
 * the payload shape the official @x402/evm clients send (the tests pay the official
 * servers with it). What is signed is decided here: the amount that was reserved, our own
 * record of the token's domain, a bounded validity window. Nothing the server sent is
 * passed through unchecked.
 */
export const exactEvmScheme: PaymentScheme = {
  label: "exact on EVM",

  // An option that asks for Permit2 is the exact-permit2 scheme's.
  handles: (option) => option.scheme === "exact" && option.network.startsWith("eip155:") && option.extra.assetTransferMethod !== "permit2",

  refusal(option, asset) {
    if (!isAddress(option.payTo, { strict: false })) return `payTo ${JSON.stringify(option.payTo)} is not an EVM address`;
    if (!isAddress(option.asset, { strict: false })) return `asset ${JSON.stringify(option.asset)} is not an EVM address`;
    const method = option.extra.assetTransferMethod;
    if (method !== undefined && method !== "eip3009") {
      return `asset transfer method ${JSON.stringify(method)} is not supported (this wallet signs EIP-3009 authorizations)`;
    }
    const network = findEvmNetwork(option.network);
    if (!network) return `network ${option.network} has no signing support here`;
    return asset ? eip3009Refusal(evmAssetFacts(asset), network.displayName) : null;
  },

  prepare({ account: signer, option, asset: tableAsset, required }: SignPaymentInput): PreparedPayment {
    const account = asEvmSigner(signer);
    const asset = evmAssetFacts(tableAsset);
    const network = findEvmNetwork(option.network);
    if (!network) throw new Error(`network ${option.network} has no signing support`);
    const refused = eip3009Refusal(asset, network.displayName);
    if (refused || !asset.eip712) throw new Error(refused ?? `${asset.symbol} has no EIP-712 domain on record`);
    const now = Math.floor(Date.now() / 1000);
    const validBefore = now + signingWindowSeconds(option.maxTimeoutSeconds);
    const authorization: TransferAuthorization = {
      from: account.address,
      to: getAddress(option.payTo),
      value: option.amount.toString(),
      // As the official clients do: v1's a little in the past (clock skew), v2's from the start.
      validAfter: option.x402Version === 1 ? String(now - 600) : "0",
      validBefore: String(validBefore),
      nonce: randomAuthorizationNonce(),
    };
    const domain = { ...asset.eip712, chainId: network.chainId, verifyingContract: asset.address };
    return {
      payer: account.address,
      validBefore,
      nonce: authorization.nonce,
      async sign() {
        const signed = { authorization, signature: await signTransferAuthorization(account, domain, authorization) };
        const payload =
          option.x402Version === 1
            ? { x402Version: 1, scheme: "exact", network: network.v1Name ?? option.wireNetwork, payload: signed }
            : {
                x402Version: 2,
                payload: signed,
                ...(required.resource ? { resource: required.resource } : {}),
                accepted: option.wire,
                ...(required.extensions ? { extensions: required.extensions } : {}),
              };
        return {
          payload,
          payer: account.address,
          validBefore,
          nonce: authorization.nonce,
          authorization: { kind: "eip3009", nonce: authorization.nonce },
        };
      },
    };
  },
};

/** A token is paid with EIP-3009 only when our own record says it implements it and holds its domain. */
function eip3009Refusal(asset: EvmAssetInfo, networkName: string): string | null {
  if (asset.transferMethod !== "eip3009") {
    return `${asset.symbol} on ${networkName} is paid only through Permit2, and this option does not say assetTransferMethod "permit2" (the wallet never pays such a token with EIP-3009)`;
  }
  if (!asset.eip712) return `${asset.symbol} on ${networkName} has no EIP-712 name and version on record; add "eip712" to its "assets" entry`;
  return null;
}
