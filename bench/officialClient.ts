import { registerExactEvmScheme } from "@x402/evm/exact/client";
import { wrapFetchWithPayment, x402Client } from "@x402/fetch";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

/** The official client, as its README wires it: @x402/fetch + the exact EVM scheme. */
export function officialFetch(wallet: { privateKey: Hex }): typeof fetch {
  const client = new x402Client();
  registerExactEvmScheme(client, { signer: privateKeyToAccount(wallet.privateKey) });
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
