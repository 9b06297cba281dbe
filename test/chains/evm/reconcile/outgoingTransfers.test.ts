import { describe, expect, it } from "vitest";
import type { PublicClients } from "../../../../src/chains/evm/publicClients.js";
import { evmOutgoingTransfers } from "../../../../src/chains/evm/reconcile/outgoingTransfers.js";
import type { AssetInfo } from "../../../../src/chains/types.js";

const OWNER = "0x1111111111111111111111111111111111111111";
const TO = "0x2222222222222222222222222222222222222222";
const asset = { network: "eip155:8453", address: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", symbol: "USDC", decimals: 6 } as AssetInfo;

/** A chain of 1-second blocks from genesis at t = 0, with one transfer out of OWNER in each block of `transfersIn`. */
function fakeChain(headNumber: bigint, transfersIn: bigint[]) {
  const calls = { getBlock: 0, getLogs: 0, logRanges: [] as [bigint, bigint][] };
  const state = { head: headNumber };
  const reader = {
    getBlock: async (args: { blockTag?: string; blockNumber?: bigint }) => {
      calls.getBlock++;
      const number = args.blockTag === "latest" ? state.head : args.blockNumber!;
      return { number, timestamp: number };
    },
    getLogs: async (args: { fromBlock: bigint; toBlock: bigint }) => {
      calls.getLogs++;
      calls.logRanges.push([args.fromBlock, args.toBlock]);
      return transfersIn
        .filter((b) => b >= args.fromBlock && b <= args.toBlock)
        .map((b) => ({ transactionHash: `0x${b.toString(16).padStart(64, "0")}`, logIndex: 0, blockNumber: b, args: { to: TO, value: 5n } }));
    },
  };
  const clients = { get: () => reader } as unknown as PublicClients;
  return { clients, calls, state };
}

describe("evmOutgoingTransfers", () => {
  it("finds every transfer since the given time, and a later search of the same clients reads only the blocks since the last one", async () => {
    const chain = fakeChain(1_000_000n, [900_000n, 999_999n, 1_000_050n]);
    const first = await evmOutgoingTransfers(chain.clients, asset, OWNER, 850_000_000);
    expect(first.map((t) => t.blockAtMs)).toEqual([900_000_000, 999_999_000]);
    const firstReads = { ...chain.calls };
    expect(firstReads.getBlock).toBeGreaterThan(15); // the binary search for the first block of the window

    chain.state.head = 1_000_100n;
    chain.calls.getBlock = 0;
    chain.calls.getLogs = 0;
    chain.calls.logRanges = [];
    const second = await evmOutgoingTransfers(chain.clients, asset, OWNER, 850_100_000);
    // The new transfer, plus what the reorg margin searches again (never fewer than the new blocks hold).
    expect(second.map((t) => t.blockAtMs)).toEqual([999_999_000, 1_000_050_000]);
    // The head, the block where the search resumes, and one time read per block holding a transfer.
    expect(chain.calls.getBlock).toBe(2 + 2);
    expect(chain.calls.logRanges).toEqual([[1_000_000n - 64n, 1_000_100n]]);
  });

  it("searches the whole window again when the last search ended before it began", async () => {
    const chain = fakeChain(1_000n, [10n]);
    await evmOutgoingTransfers(chain.clients, asset, OWNER, 0);
    chain.state.head = 100_000n;
    const later = await evmOutgoingTransfers(chain.clients, asset, OWNER, 50_000_000);
    expect(later).toEqual([]);
    expect(chain.calls.logRanges.at(-1)).toEqual([100_000n, 100_000n]);
    expect(chain.calls.logRanges.at(-11)?.[0]).toBe(50_000n);
  });

  it("keeps one cursor per token and owner", async () => {
    const chain = fakeChain(1_000n, [500n]);
    await evmOutgoingTransfers(chain.clients, asset, OWNER, 0);
    const otherOwner = await evmOutgoingTransfers(chain.clients, asset, TO, 0);
    expect(otherOwner.map((t) => t.blockAtMs)).toEqual([500_000]);
  });
});
