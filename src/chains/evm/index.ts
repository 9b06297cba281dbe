import { getAddress, isAddress } from "viem/utils";
import { NO_WALLET_HINT } from "../../wallet/loadWallet.js";
import type { ChainFamily } from "../types.js";
import { evmAsset, KNOWN_ASSETS } from "./assets.js";
import { KNOWN_NETWORKS } from "./networks.js";
import { evmReads } from "./reads.js";
import { exactEvmScheme } from "./schemes/exact-eip3009/index.js";
import { exactPermit2Scheme } from "./schemes/exact-permit2/index.js";
import { uptoEvmScheme } from "./schemes/upto/index.js";
import { evmSigner } from "./signer.js";
import { evmSignIn } from "./signIn.js";

/** EVM networks (CAIP-2 namespace eip155): their tables, the wallet's secp256k1 key, viem reads and the schemes signed here. */
export const evmFamily: ChainFamily = {
  namespace: "eip155",
  label: "EVM",
  networks: KNOWN_NETWORKS,
  assets: KNOWN_ASSETS,
  schemes: [exactEvmScheme, exactPermit2Scheme, uptoEvmScheme],
  signer: evmSigner,
  asset: evmAsset,
  canonicalAddress: (address) => (isAddress(address, { strict: false }) ? getAddress(address) : undefined),
  isTransactionId: (transaction) => /^0x[0-9a-fA-F]{64}$/.test(transaction),
  keyHint: NO_WALLET_HINT,
  signIn: evmSignIn,
  reads: evmReads,
};
