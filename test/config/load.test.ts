import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";

function fileWith(value: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), "x402cfg-")), "config.json");
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
  return path;
}

describe("loadConfig", () => {
  it("has safe built-in defaults", () => {
    const config = loadConfig({ env: {} });
    expect(config.networks).toEqual(["eip155:8453", "eip155:84532"]);
    expect(config.budget).toEqual({ perCall: "0.10", perSession: "1.00", perDay: "5.00" });
    expect(config.hosts.allowPrivate).toBe(false);
  });

  it("layers defaults < file < env", () => {
    const path = fileWith({ budget: { perCall: "0.05", perSession: "2.00" }, networks: ["eip155:84532"] });
    const config = loadConfig({ env: { X402_WALLET_CONFIG: path, X402_SESSION_BUDGET: "3.50", X402_DAILY_BUDGET: "7" } });
    expect(config.budget).toEqual({ perCall: "0.05", perSession: "3.50", perDay: "7" });
    expect(config.networks).toEqual(["eip155:84532"]);
    expect(loadConfig({ env: { X402_NETWORKS: "eip155:8453, eip155:84532" } }).networks).toEqual(["eip155:8453", "eip155:84532"]);
  });

  it("--config wins over X402_WALLET_CONFIG", () => {
    const a = fileWith({ budget: { perCall: "0.01" } });
    const b = fileWith({ budget: { perCall: "0.02" } });
    expect(loadConfig({ configPath: b, env: { X402_WALLET_CONFIG: a } }).budget.perCall).toBe("0.02");
  });

  it("names an unknown key and a bad value", () => {
    expect(() => loadConfig({ configPath: fileWith({ budgett: {} }), env: {} })).toThrow(/unknown key\(s\) "budgett"/);
    expect(() => loadConfig({ configPath: fileWith({ budget: { perCall: 0.1 } }), env: {} })).toThrow(/budget\.perCall/);
    expect(() => loadConfig({ env: { X402_MAX_PER_CALL: "ten cents" } })).toThrow(/budget\.perCall.*X402_MAX_PER_CALL/);
    expect(() => loadConfig({ env: { X402_NETWORKS: "base" } })).toThrow(/networks\.0: a CAIP-2 network id: EVM such as "eip155:8453", or Solana/);
    expect(() => loadConfig({ configPath: fileWith({ rpc: { "eip155:84532": "ftp://x" } }), env: {} })).toThrow(/rpc/);
  });

  it("refuses a token counted at 0 USD: every amount of it would pass every cap", () => {
    const asset = (usdPerUnit: string) => ({
      network: "eip155:84532",
      address: "0x1111111111111111111111111111111111111111",
      symbol: "ZERO",
      decimals: 6,
      usdPerUnit,
      eip712: { name: "Zero", version: "1" },
    });
    for (const zero of ["0", "0.0", "00.000000"]) {
      expect(() => loadConfig({ configPath: fileWith({ assets: [asset(zero)] }), env: {} })).toThrow(
        /assets\.0\.usdPerUnit: the USD price of one whole token must be more than 0/,
      );
    }
    expect(() => loadConfig({ configPath: fileWith({ assets: [asset("-1")] }), env: {} })).toThrow(/assets\.0\.usdPerUnit/);
    expect(loadConfig({ configPath: fileWith({ assets: [asset("0.000001")] }), env: {} }).assets[0]?.usdPerUnit).toBe("0.000001");
  });

  it("explains an unreadable or non-JSON file", () => {
    expect(() => loadConfig({ configPath: "/nonexistent/x.json", env: {} })).toThrow(/Cannot read the config file/);
    expect(() => loadConfig({ configPath: fileWith("{nope"), env: {} })).toThrow(/not valid JSON/);
  });
});
