import { x402ResourceServer } from "@x402/express";
import { createSvmFacilitator, LAMPORTS_PER_SOL, registerSvmServerScheme, startSolanaRig, svmPaymentOption } from "../rig/solana/index.js";
import { signInSuite } from "./signInSuite.js";

signInSuite("sign-in-with-x on Solana (SIWS) against the official server extension", async () => {
  const rig = await startSolanaRig({ routes: [] });
  // A fee payer of its own, as a second facilitator would have.
  const feePayer = await rig.newWallet();
  rig.airdrop(feePayer.address, LAMPORTS_PER_SOL);
  const facilitator = createSvmFacilitator({ feePayer: feePayer.signer, rpcUrl: rig.rpcUrl }).client;
  const wallet = await rig.newWallet(1_000_000n);
  return {
    network: rig.network,
    payer: wallet.address,
    resourceServer: () => registerSvmServerScheme(new x402ResourceServer(facilitator)),
    accepts: svmPaymentOption("$0.01", rig.payTo),
    config: { networks: [rig.network], rpc: { [rig.network]: rig.rpcUrl }, hosts: { allowPrivate: true } },
    env: { X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 },
    balances: async () => ({ payer: await rig.usdcBalanceOf(wallet.address), payTo: await rig.usdcBalanceOf(rig.payTo) }),
    landed: async (transaction) => rig.chain.transaction(transaction)?.err === null,
    stop: () => rig.stop(),
  };
});
