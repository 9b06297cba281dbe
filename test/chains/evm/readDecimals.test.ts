import { describe, expect, it } from "vitest";
import { KNOWN_ASSETS } from "../../../src/chains/evm/assets.js";
import type { PublicClients } from "../../../src/chains/evm/publicClients.js";
import { TokenDecimals } from "../../../src/chains/evm/readDecimals.js";

const usdc = KNOWN_ASSETS.find((a) => a.network === "eip155:84532")!;
const polygonUsdc = KNOWN_ASSETS.find((a) => a.network === "eip155:137")!;

/** Clients whose decimals() answers come from `answer`, counting the reads. */
function countingClients(answer: () => Promise<number>) {
  const reads: string[] = [];
  const clients = {
    get: (network: string) => ({
      readContract: (args: { address: string; functionName: string }) => {
        reads.push(`${network} ${args.address} ${args.functionName}`);
        return answer();
      },
    }),
  } as unknown as PublicClients;
  return { clients, reads };
}

describe("TokenDecimals", () => {
  it("reads decimals() once per network and token, however many payments ask", async () => {
    const { clients, reads } = countingClients(async () => 6);
    const decimals = new TokenDecimals(clients);
    expect(await Promise.all([decimals.read(usdc), decimals.read(usdc), decimals.read(polygonUsdc)])).toEqual([6, 6, 6]);
    expect(await decimals.read({ ...usdc, address: usdc.address.toLowerCase() })).toBe(6);
    expect(reads).toEqual([`eip155:84532 ${usdc.address} decimals`, `eip155:137 ${polygonUsdc.address} decimals`]);
  });

  it("keeps no failed read: the next payment asks the chain again", async () => {
    let down = true;
    const { clients, reads } = countingClients(async () => {
      if (down) throw new Error("connection refused");
      return 6;
    });
    const decimals = new TokenDecimals(clients);
    await expect(decimals.read(usdc)).rejects.toThrow("connection refused");
    down = false;
    expect(await decimals.read(usdc)).toBe(6);
    expect(await decimals.read(usdc)).toBe(6);
    expect(reads).toHaveLength(2);
  });
});
