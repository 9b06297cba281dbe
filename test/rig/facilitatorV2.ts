import { x402Facilitator } from "@x402/core/facilitator";
import type { FacilitatorClient } from "@x402/core/server";
import type { Network, SupportedResponse } from "@x402/core/types";
import { toFacilitatorEvmSigner, type FacilitatorEvmSigner } from "@x402/evm";
import { registerExactEvmScheme } from "@x402/evm/exact/facilitator";
import { UptoEvmScheme } from "@x402/evm/upto/facilitator";
import { EIP2612_GAS_SPONSORING } from "@x402/extensions";
import { NETWORK_V2, type SignerClient } from "./chain.js";

type ReadArgs = Parameters<FacilitatorEvmSigner["readContract"]>[0];
type WriteArgs = Parameters<FacilitatorEvmSigner["writeContract"]>[0];
type TypedDataArgs = Parameters<FacilitatorEvmSigner["verifyTypedData"]>[0];

/**
 * The official v2 facilitator (x402Facilitator + @x402/evm's exact scheme, EIP-3009 and Permit2,
 * and its upto scheme) running in-process and
 * exposed through the FacilitatorClient interface, so @x402/express never needs an HTTP facilitator
 * (and never falls back to its default https://x402.org/facilitator).
 */
export function createFacilitatorV2(wallet: SignerClient, network: Network = NETWORK_V2): {
  facilitator: x402Facilitator;
  client: FacilitatorClient;
} {
  // viem's generic action signatures are narrower than the SDK's structural signer type; the
  // thin adapters below only widen the argument types.
  const signer = toFacilitatorEvmSigner({
    address: wallet.account.address,
    readContract: (args: ReadArgs) => wallet.readContract(args as Parameters<typeof wallet.readContract>[0]),
    verifyTypedData: (args: TypedDataArgs) =>
      wallet.verifyTypedData(args as Parameters<typeof wallet.verifyTypedData>[0]),
    writeContract: (args: WriteArgs) =>
      wallet.writeContract(args as unknown as Parameters<typeof wallet.writeContract>[0]),
    sendTransaction: (args) => wallet.sendTransaction(args as Parameters<typeof wallet.sendTransaction>[0]),
    waitForTransactionReceipt: (args) => wallet.waitForTransactionReceipt(args),
    getCode: (args) => wallet.getCode(args),
  });

  const facilitator = new x402Facilitator();
  registerExactEvmScheme(facilitator, { signer, networks: network });
  // Announces this signer as `facilitatorAddress`, the only sender the upto proxy accepts.
  facilitator.register(network, new UptoEvmScheme(signer));
  // Announced in /supported; the exact scheme settles a payload carrying it with settleWithPermit.
  facilitator.registerExtension(EIP2612_GAS_SPONSORING);

  const client: FacilitatorClient = {
    verify: (payload, requirements) => facilitator.verify(payload, requirements),
    settle: (payload, requirements) => facilitator.settle(payload, requirements),
    getSupported: async () => facilitator.getSupported() as SupportedResponse,
  };
  return { facilitator, client };
}
