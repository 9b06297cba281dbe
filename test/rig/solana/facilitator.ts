import { x402Facilitator } from "@x402/core/facilitator";
import type { FacilitatorClient } from "@x402/core/server";
import type { SupportedResponse } from "@x402/core/types";
import { SOLANA_DEVNET_CAIP2, toFacilitatorSvmSigner } from "@x402/svm";
import { registerExactSvmScheme } from "@x402/svm/exact/facilitator";
import type { KeyPairSigner } from "@solana/kit";

/**
 * The official v2 SVM facilitator (x402Facilitator + @x402/svm's exact scheme) in-process, behind
 * the FacilitatorClient interface as the EVM one in ../facilitatorV2.ts. The rig's RPC is the
 * default URL for every network: keyed by network, a name missing from the map (the v1 scheme asks
 * for "solana-devnet", the v2 one for the CAIP-2 id) falls back to the public devnet endpoint.
 */
export function createSvmFacilitator(opts: { feePayer: KeyPairSigner; rpcUrl: string }): {
  facilitator: x402Facilitator;
  client: FacilitatorClient;
} {
  const signer = toFacilitatorSvmSigner(opts.feePayer, { defaultRpcUrl: opts.rpcUrl });
  const facilitator = new x402Facilitator();
  registerExactSvmScheme(facilitator, { signer, networks: SOLANA_DEVNET_CAIP2 });

  const client: FacilitatorClient = {
    verify: (payload, requirements) => facilitator.verify(payload, requirements),
    settle: (payload, requirements) => facilitator.settle(payload, requirements),
    getSupported: async () => facilitator.getSupported() as SupportedResponse,
  };
  return { facilitator, client };
}
