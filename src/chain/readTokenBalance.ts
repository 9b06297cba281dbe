import { erc20Abi, type Address } from "viem";
import type { AssetInfo } from "./assets.js";
import type { PublicClients } from "./publicClients.js";

/** The on-chain balance of `owner` in `asset`, in atomic units. */
export async function readTokenBalance(clients: PublicClients, asset: AssetInfo, owner: Address): Promise<bigint> {
  return clients.get(asset.network).readContract({
    address: asset.address,
    abi: erc20Abi,
    functionName: "balanceOf",
    args: [owner],
  });
}
