import { describe, expect, it } from "vitest";
import { KNOWN_ASSETS } from "../../src/chains/evm/assets.js";
import type { ChainReads } from "../../src/chains/types.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { CodedError } from "../../src/errors.js";
import { assertTokenDecimals } from "../../src/payment/assertTokenDecimals.js";

const usdc = KNOWN_ASSETS.find((a) => a.network === "eip155:84532")!;

function runtime(readDecimals: ChainReads["readDecimals"], assets: unknown[] = []) {
  const warnings: string[] = [];
  const rt = {
    chain: { readDecimals } as ChainReads,
    config: ConfigSchema.parse({ networks: ["eip155:84532"], assets }),
    logger: { log: (_level: string, message: string) => void warnings.push(message) },
  };
  return { rt, warnings };
}

describe("assertTokenDecimals", () => {
  it("passes a token whose decimals() is the one on record", async () => {
    await expect(assertTokenDecimals(runtime(async () => 6).rt, usdc)).resolves.toBeUndefined();
  });

  it("a failed read blocks nothing and says so in the log", async () => {
    const { rt, warnings } = runtime(async () => {
      throw new Error("HTTP request failed.\nURL: http://127.0.0.1:1");
    });
    await expect(assertTokenDecimals(rt, usdc)).resolves.toBeUndefined();
    expect(warnings).toEqual([`could not read decimals() of USDC ${usdc.address} on eip155:84532: HTTP request failed.`]);
  });

  it("refuses a known token whose chain disagrees with the table, pointing at the RPC", async () => {
    const error = (await assertTokenDecimals(runtime(async () => 18).rt, usdc).catch((e: unknown) => e)) as CodedError;
    expect(error.code).toBe("ASSET_DECIMALS_MISMATCH");
    expect(error.message).toContain("the wallet's network table says has 6 decimals, but the token on the chain says 18");
    expect(error.message).toContain(`Check that rpc["eip155:84532"] in the config serves Base Sepolia.`);
    expect(error.details).toMatchObject({ recordDecimals: 6, chainDecimals: 18, token: usdc.address });
  });

  it("refuses a configured token with a wrong decimals, naming the entry to correct", async () => {
    const entry = { network: "eip155:84532", address: usdc.address.toLowerCase(), symbol: "USDC", decimals: 18, usdPerUnit: "1" };
    const error = (await assertTokenDecimals(runtime(async () => 6, [entry]).rt, { ...usdc, decimals: 18 }).catch((e: unknown) => e)) as CodedError;
    expect(error.code).toBe("ASSET_DECIMALS_MISMATCH");
    expect(error.message).toContain(`Correct "decimals" of that entry to 6`);
  });
});
