import type { Address } from "viem";
import { getAddress } from "viem/utils";
import type { ChainReader } from "../publicClients.js";

const allowanceAbi = [
  {
    type: "function",
    name: "allowance",
    stateMutability: "view",
    inputs: [
      { name: "owner", type: "address" },
      { name: "spender", type: "address" },
    ],
    outputs: [{ type: "uint256" }],
  },
] as const;

/** `token.allowance(owner, spender)`: how much of the owner's token the spender (Permit2) may move, in atomic units. */
export function readAllowance(client: Pick<ChainReader, "readContract">, token: string, owner: string, spender: Address): Promise<bigint> {
  return client.readContract({ address: getAddress(token), abi: allowanceAbi, functionName: "allowance", args: [getAddress(owner), spender] });
}
