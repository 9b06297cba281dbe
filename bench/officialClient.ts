import { registerExactEvmScheme } from "@x402/evm/exact/client";
import { UptoEvmScheme } from "@x402/evm/upto/client";
import { wrapFetchWithPayment, x402Client } from "@x402/fetch";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

/** A token outside the official client's default table that it may pay (a Permit2 route's). */
export interface OfficialExtraAsset {
  network: `${string}:${string}`;
  asset: Address;
}

/**
 * The official client, as its README wires it: @x402/fetch + the exact EVM scheme. With
 * `permit2`, also the upto scheme and permission to pay one more token, which is what it
 * takes to pay the rig's Permit2 routes.
 */
export function officialFetch(wallet: { privateKey: Hex }, permit2?: OfficialExtraAsset): typeof fetch {
  const signer = privateKeyToAccount(wallet.privateKey);
  const client = new x402Client();
  registerExactEvmScheme(client, { signer });
  if (permit2) {
    // On "eip155:*" like exact: a scheme map for the exact network would hide the wildcard's exact.
    client.register("eip155:*", new UptoEvmScheme(signer));
    // It refuses tokens outside its default table unless they are allowed by name.
    client.setSpendControls({ allowedAssets: [permit2] });
  }
  return wrapFetchWithPayment(fetch, client);
}

/** One paid GET with the official client; throws unless it paid and got the content. */
export async function officialPaidGet(pay: typeof fetch, url: string): Promise<void> {
  const res = await pay(url);
  await res.arrayBuffer();
  if (res.status !== 200 || !res.headers.get("PAYMENT-RESPONSE")) {
    throw new Error(`bench: the official client got HTTP ${res.status} for ${url}`);
  }
}
