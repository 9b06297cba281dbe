import { randomBytes } from "node:crypto";
import { CodedError, ErrorCode } from "../../../../errors.js";
import type { PaymentOption } from "../../../../x402/types.js";
import type { PaymentScheme, PreparedPayment, SignPaymentInput } from "../../../types.js";
import { isSolanaAddress } from "../../base58.js";
import { findSolanaNetwork } from "../../networks.js";
import { asSolanaSigner } from "../../signer.js";
import { BLOCKHASH_LIFETIME_SECONDS, MAX_MEMO_BYTES, MAX_U64 } from "./bounds.js";
import type { TransferPlan } from "./planTransfer.js";

/**
 * Scheme `exact` on Solana (x402's exact/SVM): a v0 transaction whose fee the facilitator's
 * `extra.feePayer` pays and signs last, holding a compute-unit limit and price of ours, one
 * SPL `TransferChecked` of exactly the reserved amount of our record's mint from our token
 * account to payTo's, and a memo. The chain is read in `preflight` (kit loads then, not at
 * start-up), so `prepare` signs without I/O and the ledger records the transaction's
 * signature, its id on-chain, before the header leaves.
 */
export const exactSolanaScheme: PaymentScheme = {
  label: "exact on Solana",

  handles: (option) => option.scheme === "exact" && option.network.startsWith("solana:"),

  refusal(option) {
    if (!findSolanaNetwork(option.network)) return `network ${option.network} has no signing support here`;
    if (!isSolanaAddress(option.payTo)) return `payTo ${JSON.stringify(option.payTo)} is not a Solana address`;
    if (!isSolanaAddress(option.asset)) return `asset ${JSON.stringify(option.asset)} is not a Solana mint address`;
    const { feePayer } = option.extra;
    if (typeof feePayer !== "string" || !isSolanaAddress(feePayer)) {
      return `extra.feePayer ${feePayer === undefined ? "is missing" : `${JSON.stringify(feePayer)} is not a Solana address`}: the facilitator's fee payer must be named, or the wallet would pay the fee`;
    }
    if (option.amount <= 0n) return "the amount is 0: there is nothing to pay";
    if (option.amount > MAX_U64) return `the amount ${option.amount} is beyond an SPL token's u64 range`;
    return memoRefusal(option);
  },

  async preflight(reads, { account, option, asset }) {
    const signer = asSolanaSigner(account);
    const feePayer = option.extra.feePayer as string;
    if (feePayer === signer.address) {
      throw new CodedError(
        ErrorCode.NO_ACCEPTABLE_PAYMENT_OPTION,
        `The server names this wallet's own address ${signer.address} as the fee payer: the wallet would pay the transaction's fee and sign as fee payer. Nothing was paid.`,
      );
    }
    const { planTransfer } = await import("./planTransfer.js");
    return planTransfer(reads, signer.address, {
      network: option.network,
      mint: asset.address,
      decimals: asset.decimals,
      payTo: option.payTo,
      feePayer,
      amount: option.amount,
      memo: memoOf(option),
    });
  },

  prepare({ account, option, required, preflight }: SignPaymentInput): PreparedPayment {
    const signer = asSolanaSigner(account);
    const network = findSolanaNetwork(option.network);
    if (!network) throw new Error(`network ${option.network} has no signing support`);
    const plan = preflight as TransferPlan | undefined;
    if (typeof plan?.sign !== "function") throw new Error(`no recent blockhash could be read from ${network.displayName}'s RPC`);
    const signed = plan.sign(signer);
    // Until the blockhash expires the transaction can land: it counts as spent until then.
    const validBefore = Math.floor(Date.now() / 1000) + BLOCKHASH_LIFETIME_SECONDS;
    const payload = { transaction: signed.transactionBase64 };
    return {
      payer: signer.address,
      validBefore,
      nonce: signed.signature,
      lastValidBlockHeight: plan.lastValidBlockHeight,
      async sign() {
        return {
          payload:
            option.x402Version === 1
              ? { x402Version: 1, scheme: "exact", network: network.v1Name ?? option.wireNetwork, payload }
              : {
                  x402Version: 2,
                  payload,
                  ...(required.resource ? { resource: required.resource } : {}),
                  accepted: option.wire,
                  ...(required.extensions ? { extensions: required.extensions } : {}),
                },
          payer: signer.address,
          validBefore,
          nonce: signed.signature,
          authorization: { kind: "solana-signature", nonce: signed.signature },
        };
      },
    };
  },
};

/** A server's memo is signed as given (its facilitator may require it); else 16 random bytes in hex, so equal payments differ. */
function memoOf(option: PaymentOption): Uint8Array {
  const memo = option.extra.memo;
  return new TextEncoder().encode(typeof memo === "string" ? memo : randomBytes(16).toString("hex"));
}

function memoRefusal(option: PaymentOption): string | null {
  const memo = option.extra.memo;
  if (memo === undefined) return null;
  if (typeof memo !== "string") return "extra.memo is not a string";
  if (new TextEncoder().encode(memo).length > MAX_MEMO_BYTES) return `extra.memo is longer than ${MAX_MEMO_BYTES} bytes`;
  return null;
}
