import { getAddress, isAddress } from "viem/utils";
import { signingWindowSeconds } from "../../../signingWindow.js";
import type { PaymentScheme, PreparedPayment, SignPaymentInput } from "../../../types.js";
import { evmAssetFacts } from "../../assets.js";
import { findEvmNetwork } from "../../networks.js";
import { EXACT_WITNESS_FIELDS, X402_EXACT_PERMIT2_PROXY } from "../../permit2/constants.js";
import { signEip2612Permit } from "../../permit2/eip2612Permit.js";
import { GaslessApproval, planGaslessApproval, withSignedPermit } from "../../permit2/gaslessApproval.js";
import { randomPermit2Nonce } from "../../permit2/nonce.js";
import { permit2AllowanceShortfall, permit2ApprovalRequired } from "../../permit2/permit2Allowance.js";
import { signPermitWitnessTransfer, type PermitWitnessTransferFrom } from "../../permit2/permitWitnessTransfer.js";
import { asEvmSigner } from "../../signer.js";

/**
 * Scheme `exact` on EVM when the option says `assetTransferMethod: "permit2"`: a Permit2
 * `PermitWitnessTransferFrom` of exactly the reserved amount, for x402's exact proxy only,
 * whose witness sends it to the option's payTo, in the payload shape the official clients
 * send. The spender is our constant, the token our own record's, the receiver the payTo we
 * show: the server chooses none of them. Without Permit2's allowance, when the 402 offers
 * `eip2612GasSponsoring`, the token's EIP-2612 permit for Permit2 is signed with it: exactly
 * the amount (x402's proxy refuses any other), until the same deadline.
 */
export const exactPermit2Scheme: PaymentScheme = {
  label: "exact through Permit2 on EVM",

  handles: (option) => option.scheme === "exact" && option.network.startsWith("eip155:") && option.extra.assetTransferMethod === "permit2",

  refusal(option) {
    if (!isAddress(option.payTo, { strict: false })) return `payTo ${JSON.stringify(option.payTo)} is not an EVM address`;
    if (!isAddress(option.asset, { strict: false })) return `asset ${JSON.stringify(option.asset)} is not an EVM address`;
    if (option.x402Version !== 2) return "x402 v1 has no Permit2 payments";
    if (!findEvmNetwork(option.network)) return `network ${option.network} has no signing support here`;
    return null;
  },

  // Without Permit2's allowance, the gasless approval when the 402 offers it and the token
  // takes it; else the refusal naming the approve command. Nothing is signed here.
  async preflight(reads, input) {
    const allowance = await permit2AllowanceShortfall(reads, input);
    if (allowance === null) return undefined;
    const gasless = await planGaslessApproval(reads, input);
    if (gasless instanceof GaslessApproval) return gasless;
    throw permit2ApprovalRequired(input, allowance, gasless ?? undefined);
  },

  prepare({ account: signer, option, asset: tableAsset, required, preflight }: SignPaymentInput): PreparedPayment {
    const account = asEvmSigner(signer);
    const asset = evmAssetFacts(tableAsset);
    const network = findEvmNetwork(option.network);
    if (!network) throw new Error(`network ${option.network} has no signing support`);
    if (option.x402Version !== 2) throw new Error("x402 v1 has no Permit2 payments");
    // The selection matched the option's asset to our record; sign our record's address.
    if (getAddress(option.asset) !== asset.address) throw new Error(`asset ${option.asset} is not ${asset.symbol} ${asset.address}`);
    const validBefore = Math.floor(Date.now() / 1000) + signingWindowSeconds(option.maxTimeoutSeconds);
    const nonce = randomPermit2Nonce();
    const permit: PermitWitnessTransferFrom<{ to: `0x${string}`; validAfter: bigint }> = {
      permitted: { token: asset.address, amount: option.amount },
      spender: X402_EXACT_PERMIT2_PROXY,
      nonce: BigInt(nonce),
      deadline: BigInt(validBefore),
      witness: { to: getAddress(option.payTo), validAfter: 0n },
    };
    // The EIP-2612 permit gives Permit2 exactly this payment's amount, no more, and lapses with the Permit2 deadline.
    const gasless = preflight instanceof GaslessApproval ? preflight : undefined;
    const approval = gasless?.permit(account.address, option.amount, BigInt(validBefore));
    return {
      payer: account.address,
      validBefore,
      nonce,
      async sign() {
        const [signature, approvalSignature] = await Promise.all([
          signPermitWitnessTransfer(account, network.chainId, EXACT_WITNESS_FIELDS, permit),
          gasless && approval ? signEip2612Permit(account, gasless.domain, approval) : undefined,
        ]);
        const extensions = approval && approvalSignature ? withSignedPermit(required.extensions, asset.address, approval, approvalSignature) : required.extensions;
        const permit2Authorization = {
          from: account.address,
          permitted: { token: permit.permitted.token, amount: permit.permitted.amount.toString() },
          spender: permit.spender,
          nonce,
          deadline: String(validBefore),
          witness: { to: permit.witness.to, validAfter: "0" },
        };
        return {
          payload: {
            x402Version: 2,
            payload: { signature, permit2Authorization },
            ...(required.resource ? { resource: required.resource } : {}),
            accepted: option.wire,
            // Echoed as the official client does, with the signed permit when there is one.
            ...(extensions ? { extensions } : {}),
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
