import type { PrivateKeyAccount } from "viem";
import type { AssetInfo } from "../chain/assets.js";
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
}

/** A scheme × chain family plug-in (`exact` on EVM today). */
export interface PaymentScheme {
  /** Short name for messages: `exact on EVM`. */
  readonly label: string;
  handles(option: PaymentOption): boolean;
  /** Why this option cannot be paid by this scheme, or null when it can. */
  refusal(option: PaymentOption): string | null;
  sign(input: SignPaymentInput): Promise<SignedPayment>;
}
