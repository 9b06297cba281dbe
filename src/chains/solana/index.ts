import type { ChainFamily } from "../types.js";
import { SOLANA_ASSETS, solanaAsset } from "./assets.js";
import { isSolanaAddress, isSolanaSignature } from "./base58.js";
import { SOLANA_NETWORKS, solanaExplorerUrl } from "./networks.js";
import { solanaReads } from "./reads.js";
import { exactSolanaScheme } from "./schemes/exact/index.js";
import { solanaSigner } from "./signer.js";
import { solanaSignIn } from "./signIn.js";

/**
 * Solana clusters (CAIP-2 namespace solana): their tables, the wallet's Ed25519 key and the
 * exact scheme. Tables and pure functions only; @solana/kit loads with the first chain read.
 */
export const solanaFamily: ChainFamily = {
  namespace: "solana",
  label: "Solana",
  networks: SOLANA_NETWORKS,
  assets: SOLANA_ASSETS,
  schemes: [exactSolanaScheme],
  signer: solanaSigner,
  asset: solanaAsset,
  canonicalAddress: (address) => (isSolanaAddress(address) ? address : undefined),
  isTransactionId: isSolanaSignature,
  explorerUrl: solanaExplorerUrl,
  keyHint: "Set X402_SOLANA_PRIVATE_KEY (base58 of the 64-byte secret key) or X402_SOLANA_KEY_FILE (solana-keygen's JSON file, mode 0600) in the server's environment, then restart the server.",
  signIn: solanaSignIn,
  reads: solanaReads,
};
