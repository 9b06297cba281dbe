import { getAddress, isAddress } from "viem/utils";
import { CodedError, ErrorCode } from "../../../../errors.js";
import { formatDecimal } from "../../../../money.js";
import { signingWindowSeconds } from "../../../signingWindow.js";
import type { PaymentScheme, PreparedPayment, SignPaymentInput } from "../../../types.js";
import { evmAssetFacts } from "../../assets.js";
import { findEvmNetwork } from "../../networks.js";
import { EXACT_WITNESS_FIELDS, PERMIT2_ADDRESS, X402_EXACT_PERMIT2_PROXY } from "../../permit2/constants.js";
import { randomPermit2Nonce } from "../../permit2/nonce.js";
import { signPermitWitnessTransfer, type PermitWitnessTransferFrom } from "../../permit2/permitWitnessTransfer.js";
import { asEvmSigner } from "../../signer.js";

/**
 * Scheme `exact` on EVM when the option says `assetTransferMethod: "permit2"`: a Permit2
 * `PermitWitnessTransferFrom` of exactly the reserved amount, for x402's exact proxy only,
 * whose witness sends it to the option's payTo, in the payload shape the official clients
 * send. The spender is our constant, the token our own record's, the receiver the payTo we
 * show: the server chooses none of them.
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

  async preflight(reads, { account, option, asset }) {
    const allowance = await reads.readAllowance(asset, account.address, PERMIT2_ADDRESS);
    if (allowance >= option.amount) return;
    const network = findEvmNetwork(option.network)?.displayName ?? option.network;
    const command = `x402-wallet-mcp permit2 approve --network ${option.network} --token ${asset.address}`;
    throw new CodedError(
      ErrorCode.PERMIT2_APPROVAL_REQUIRED,
      `This server is paid in ${asset.symbol} on ${network} through Permit2, and the wallet ${account.address} has not approved Permit2 to move its ${asset.symbol} ` +
        `(allowance ${formatDecimal(allowance, asset.decimals)}, price ${formatDecimal(option.amount, asset.decimals)}). ` +
        `The wallet's owner approves it once, from a terminal (it sends a transaction and costs gas): ${command}. Nothing was signed or paid.`,
      { command, network: option.network, token: asset.address, allowance: allowance.toString(), price: option.amount.toString() },
    );
  },

  prepare({ account: signer, option, asset: tableAsset, required }: SignPaymentInput): PreparedPayment {
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
    return {
      payer: account.address,
      validBefore,
      nonce,
      async sign() {
        const signature = await signPermitWitnessTransfer(account, network.chainId, EXACT_WITNESS_FIELDS, permit);
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
            // Echoed as the official client does when it signs no extension of its own.
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
