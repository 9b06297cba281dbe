import { getAddress } from "viem/utils";
import type { AssetInfo } from "../types.js";
import type { PublicClients } from "./publicClients.js";

/** The one ERC-20 function read here (viem's erc20Abi lives in its root entry point, which start-up does not load). */
const balanceOfAbi = [
  { type: "function", name: "balanceOf", stateMutability: "view", inputs: [{ name: "account", type: "address" }], outputs: [{ type: "uint256" }] },
] as const;

/** The on-chain balance of `owner` in `asset`, in atomic units. */
export async function readTokenBalance(clients: PublicClients, asset: AssetInfo, owner: string): Promise<bigint> {
  return clients.get(asset.network).readContract({
    address: getAddress(asset.address),
    abi: balanceOfAbi,
    functionName: "balanceOf",
    args: [getAddress(owner)],
  });
}
