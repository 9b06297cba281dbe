import { parseEther, type Address, type Hash, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createSignerClient, type SignerClient } from "./chain.js";
import type { Rig } from "./index.js";
import { usdcAbi } from "./token.js";

/** An EIP-3009 authorization as x402 payloads carry it (decimal strings). */
export interface SignedAuthorization {
  authorization: { from: Address; to: Address; value: string; validAfter: string; validBefore: string; nonce: Hex };
  signature: Hex;
}

export interface Relayer {
  address: Address;
  client: SignerClient;
  /** Submits `transferWithAuthorization` on `asset` (the rig's USDC by default); resolves once mined. */
  settle(signed: SignedAuthorization, asset?: Address): Promise<Hash>;
}

/**
 * An account of its own, funded with ETH, that settles authorizations outside the rig's
 * facilitators: its transactions never share a nonce sequence with theirs.
 */
export async function startRelayer(rig: Rig): Promise<Relayer> {
  const client = createSignerClient(rig.rpcUrl, rig.chain, privateKeyToAccount(generatePrivateKey()));
  await rig.testClient.setBalance({ address: client.account.address, value: parseEther("1") });
  return {
    address: client.account.address,
    client,
    async settle({ authorization: a, signature }, asset = rig.usdc) {
      const hash = await client.writeContract({
        address: asset,
        abi: usdcAbi,
        functionName: "transferWithAuthorization",
        args: [a.from, a.to, BigInt(a.value), BigInt(a.validAfter), BigInt(a.validBefore), a.nonce, signature],
      });
      const receipt = await client.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`test relayer: transferWithAuthorization reverted (tx ${hash})`);
      return hash;
    },
  };
}
