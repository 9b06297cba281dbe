import type { Network } from "@x402/core/types";
import { ExactEvmScheme } from "@x402/evm/exact/server";
import { x402ResourceServer } from "@x402/express";
import type { Hash } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createSignerClient } from "../rig/chain.js";
import { createFacilitatorV2 } from "../rig/facilitatorV2.js";
import { NETWORK_V2, startRig } from "../rig/index.js";
import { signInSuite } from "./signInSuite.js";

signInSuite("sign-in-with-x on EVM (SIWE) against the official server extension", async () => {
  const rig = await startRig({ routes: [] });
  // A facilitator account of its own: sharing the rig's would race its nonce manager.
  const account = privateKeyToAccount(generatePrivateKey());
  await rig.testClient.setBalance({ address: account.address, value: 10n ** 18n });
  const facilitator = createFacilitatorV2(createSignerClient(rig.rpcUrl, rig.chain, account)).client;
  const wallet = await rig.newWallet(1_000_000n);
  return {
    network: NETWORK_V2,
    payer: wallet.address,
    resourceServer: () => new x402ResourceServer(facilitator).register(NETWORK_V2 as Network, new ExactEvmScheme()),
    accepts: { scheme: "exact", price: "$0.01", network: NETWORK_V2 as Network, payTo: rig.payTo },
    config: { networks: [NETWORK_V2], rpc: { [NETWORK_V2]: rig.rpcUrl }, hosts: { allowPrivate: true } },
    env: { X402_PRIVATE_KEY: wallet.privateKey },
    balances: async () => ({ payer: await rig.balanceOf(wallet.address), payTo: await rig.balanceOf(rig.payTo) }),
    landed: async (transaction) => (await rig.publicClient.getTransactionReceipt({ hash: transaction as Hash })).status === "success",
    stop: () => rig.stop(),
  };
});
