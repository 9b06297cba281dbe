import { getAddress } from "viem/utils";
import type { AssetInfo } from "../types.js";
import type { PublicClients } from "./publicClients.js";

const decimalsAbi = [{ type: "function", name: "decimals", stateMutability: "view", inputs: [], outputs: [{ type: "uint8" }] }] as const;

/**
 * `decimals()` of each token as its chain reports it, read once per network and address: a
 * deployed token's decimals do not change, so the payments after the first cost no RPC. A
 * failed read is not kept, so the next payment asks again.
 */
export class TokenDecimals {
  private readonly known = new Map<string, Promise<number>>();

  constructor(private readonly clients: PublicClients) {}

  read(asset: AssetInfo): Promise<number> {
    const key = `${asset.network}:${asset.address.toLowerCase()}`;
    let reading = this.known.get(key);
    if (!reading) {
      reading = this.clients.get(asset.network).readContract({ address: getAddress(asset.address), abi: decimalsAbi, functionName: "decimals" });
      this.known.set(key, reading);
      reading.catch(() => this.known.delete(key));
    }
    return reading;
  }
}
