import type { PrivateKeyAccount } from "viem";
import type { AssetInfo } from "../chain/assets.js";
import type { SettlementAuthorization } from "../chain/verifySettlementOnChain.js";
import type { PaymentOption, PaymentRequired } from "../x402/types.js";

export interface SignPaymentInput {
  account: PrivateKeyAccount;
  option: PaymentOption;
  /** Our own record of the token: its EIP-712 domain is used, never the server's `extra`. */
  asset: AssetInfo;
  required: PaymentRequired;
}

/** What goes into the payment header (before base64), plus facts for the receipt. */
export interface SignedPayment {
  payload: Record<string, unknown>;
  payer: string;
  /** Unix seconds after which the authorization can no longer be settled. */
  validBefore: number;
  /** The authorization's unique nonce, so the ledger can match it to an on-chain transfer. */
  nonce: string | undefined;
  /** What the chain shows when this authorization is settled; the on-chain check requires it. */
  authorization: SettlementAuthorization | undefined;
}

/**
 * An authorization whose terms are fixed but not signed yet. The ledger records its terms
 * while the key signs them; the signature is handed on only once that record is on disk.
 */
export interface PreparedPayment {
  payer: string;
  /** Unix seconds after which the authorization can no longer be settled. */
  validBefore: number;
  nonce: string | undefined;
  /** Signs exactly these terms. */
  sign(): Promise<SignedPayment>;
}

/** A scheme × chain family plug-in (`exact` on EVM today). */
export interface PaymentScheme {
  /** Short name for messages: `exact on EVM`. */
  readonly label: string;
  handles(option: PaymentOption): boolean;
  /** Why this option cannot be paid by this scheme, or null when it can. */
  refusal(option: PaymentOption): string | null;
  prepare(input: SignPaymentInput): PreparedPayment;
}
