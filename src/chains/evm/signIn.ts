import type { SignInSigning } from "../types.js";
import { asEvmSigner } from "./signer.js";

/** Sign-in on EVM: the SIWE text signed as an EIP-191 personal message, as servers verify it (viem's verifyMessage). */
export const evmSignIn: SignInSigning = {
  type: "eip191",
  sign: (signer, message) => asEvmSigner(signer).signMessage({ message }),
};
