import { describe, expect, it } from "vitest";
import { closedPort, runCli, tempHome, writeConfig } from "./run.js";

const ZERO_RATED = {
  network: "eip155:84532",
  address: "0x1111111111111111111111111111111111111111",
  symbol: "ZERO",
  decimals: 6,
  usdPerUnit: "0",
  eip712: { name: "Zero", version: "1" },
};

/** A config the server must refuse stops every way of starting it, before anything listens or pays. */
describe("start-up with a token counted at 0 USD", () => {
  it.each([[["serve", "--http", "--port", "0"]], [["serve"]], [[]]])("%j exits 1 naming assets.0.usdPerUnit", async (args) => {
    const { env } = tempHome();
    const config = writeConfig({ networks: ["eip155:84532"], rpc: { "eip155:84532": `http://127.0.0.1:${await closedPort()}` }, assets: [ZERO_RATED] });
    const result = await runCli([...args, "--config", config], env, { timeoutMs: 15_000 });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`x402-wallet-mcp: [CONFIG_INVALID] Invalid config (${config} and environment):`);
    expect(result.stderr).toContain("- assets.0.usdPerUnit: the USD price of one whole token must be more than 0");
    expect(result.stderr).not.toContain("Streamable HTTP at");
  });
});
