import type { Hex } from "viem";
import { getAddress } from "viem/utils";
import type { ChainReader } from "../publicClients.js";

const eip2612Abi = [
  { type: "function", name: "nonces", stateMutability: "view", inputs: [{ name: "owner", type: "address" }], outputs: [{ type: "uint256" }] },
  { type: "function", name: "DOMAIN_SEPARATOR", stateMutability: "view", inputs: [], outputs: [{ type: "bytes32" }] },
] as const;

/** A token's EIP-2612 state for one owner: the nonce its next permit must carry, and the domain it checks signatures under. */
export interface Eip2612State {
  nonce: bigint;
  domainSeparator: Hex;
}

/** `token.nonces(owner)` and `token.DOMAIN_SEPARATOR()`; rejects when the token has either missing (no EIP-2612). */
export async function readEip2612(client: Pick<ChainReader, "readContract">, token: string, owner: string): Promise<Eip2612State> {
  const address = getAddress(token);
  const [nonce, domainSeparator] = await Promise.all([
    client.readContract({ address, abi: eip2612Abi, functionName: "nonces", args: [getAddress(owner)] }),
    client.readContract({ address, abi: eip2612Abi, functionName: "DOMAIN_SEPARATOR" }),
  ]);
  return { nonce, domainSeparator };
}
