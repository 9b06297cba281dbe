import type { Address } from "viem";
import { getAddress, isAddress } from "viem/utils";
import { signingWindowSeconds } from "../../../signingWindow.js";
import type { PaymentOption } from "../../../../x402/types.js";
import type { PaymentScheme, PreparedPayment, SignPaymentInput } from "../../../types.js";
import { evmAssetFacts } from "../../assets.js";
import { findEvmNetwork } from "../../networks.js";
import { UPTO_WITNESS_FIELDS, X402_UPTO_PERMIT2_PROXY } from "../../permit2/constants.js";
import { randomPermit2Nonce } from "../../permit2/nonce.js";
import { requirePermit2Allowance } from "../../permit2/permit2Allowance.js";
import { signPermitWitnessTransfer, type PermitWitnessTransferFrom } from "../../permit2/permitWitnessTransfer.js";
import { asEvmSigner } from "../../signer.js";

type UptoWitness = { to: Address; facilitator: Address; validAfter: bigint };

/**
 * Scheme `upto` on EVM (metered prices): a Permit2 `PermitWitnessTransferFrom` of the
 * maximum (the option's `amount`), for x402's upto proxy only, whose witness sends what the
 * facilitator settles to payTo and lets only `extra.facilitatorAddress` settle it; the
 * server takes at most the maximum and says how much in its settlement. Every cap is applied
 * to the maximum, as the server may take all of it. The spender is our constant and the
 * token our own record's: the server chooses neither.
 */
export const uptoEvmScheme: PaymentScheme = {
  label: "upto through Permit2 on EVM",

  handles: (option) => option.scheme === "upto" && option.network.startsWith("eip155:"),

  refusal: (option) => uptoRefusal(option),

  // The same one-time approval as exact through Permit2: Permit2 may move at least the maximum.
  preflight: (reads, input) => requirePermit2Allowance(reads, input),

  prepare({ account: signer, option, asset: tableAsset, required }: SignPaymentInput): PreparedPayment {
    const refused = uptoRefusal(option);
    if (refused) throw new Error(refused);
    const account = asEvmSigner(signer);
    const asset = evmAssetFacts(tableAsset);
    const network = findEvmNetwork(option.network)!;
    // The selection matched the option's asset to our record; sign our record's address.
    if (getAddress(option.asset) !== asset.address) throw new Error(`asset ${option.asset} is not ${asset.symbol} ${asset.address}`);
    const validBefore = Math.floor(Date.now() / 1000) + signingWindowSeconds(option.maxTimeoutSeconds);
    const nonce = randomPermit2Nonce();
    const permit: PermitWitnessTransferFrom<UptoWitness> = {
      permitted: { token: asset.address, amount: option.amount },
      spender: X402_UPTO_PERMIT2_PROXY,
      nonce: BigInt(nonce),
      deadline: BigInt(validBefore),
      witness: { to: getAddress(option.payTo), facilitator: getAddress(option.extra.facilitatorAddress as string), validAfter: 0n },
    };
    return {
      payer: account.address,
      validBefore,
      nonce,
      async sign() {
        const signature = await signPermitWitnessTransfer(account, network.chainId, UPTO_WITNESS_FIELDS, permit);
        const permit2Authorization = {
          from: account.address,
          permitted: { token: permit.permitted.token, amount: permit.permitted.amount.toString() },
          spender: permit.spender,
          nonce,
          deadline: String(validBefore),
          witness: { to: permit.witness.to, facilitator: permit.witness.facilitator, validAfter: "0" },
        };
        return {
          payload: {
            x402Version: 2,
            payload: { signature, permit2Authorization },
            ...(required.resource ? { resource: required.resource } : {}),
            accepted: option.wire,
            ...(required.extensions ? { extensions: required.extensions } : {}),
          },
          payer: account.address,
          validBefore,
          nonce,
          authorization: { kind: "permit2", nonce },
        };
      },
    };
  },
};

/**
 * Why an upto option cannot be signed, or null. The facilitator named in the witness is the
 * only party that can settle it, so it must be a real address; a server that names another
 * spender than x402's upto proxy expects a signature we never make.
 */
function uptoRefusal(option: PaymentOption): string | null {
  if (option.x402Version !== 2) return "x402 v1 has no upto payments through Permit2";
  if (!isAddress(option.payTo, { strict: false })) return `payTo ${JSON.stringify(option.payTo)} is not an EVM address`;
  if (!isAddress(option.asset, { strict: false })) return `asset ${JSON.stringify(option.asset)} is not an EVM address`;
  if (option.amount <= 0n) return "an upto maximum of 0 authorizes nothing";
  if (!findEvmNetwork(option.network)) return `network ${option.network} has no signing support here`;
  const { facilitatorAddress, assetTransferMethod, spender } = option.extra;
  if (facilitatorAddress === undefined) return "extra.facilitatorAddress is missing (an upto payment names the facilitator that may settle it)";
  if (typeof facilitatorAddress !== "string" || !isAddress(facilitatorAddress, { strict: false }) || /^0x0{40}$/i.test(facilitatorAddress)) {
    return `extra.facilitatorAddress ${JSON.stringify(facilitatorAddress)} is not an EVM address`;
  }
  if (assetTransferMethod !== undefined && assetTransferMethod !== "permit2") {
    return `asset transfer method ${JSON.stringify(assetTransferMethod)} is not supported for upto (only Permit2 signs a maximum)`;
  }
  if (spender !== undefined && (typeof spender !== "string" || !isAddress(spender, { strict: false }) || getAddress(spender) !== X402_UPTO_PERMIT2_PROXY)) {
    return `extra.spender ${JSON.stringify(spender)} is not x402's upto proxy ${X402_UPTO_PERMIT2_PROXY}, the only spender this wallet signs an upto payment for`;
  }
  return null;
}
