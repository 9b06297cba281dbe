import { describe, expect, it } from "vitest";
import { closedPort, runCli, tempHome, writeConfig } from "./run.js";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const PLAIN = "0x9a1e000000000000000000000000000000000018";

/** `permit2 approve` refusals that must happen before any RPC call: the RPC here is a closed port. */
describe("x402-wallet-mcp permit2 approve: refusals before anything is sent", () => {
  async function env(extra: Record<string, unknown> = {}) {
    const config = writeConfig({
      networks: ["eip155:84532"],
      rpc: { "eip155:84532": `http://127.0.0.1:${await closedPort()}` },
      assets: [{ network: "eip155:84532", address: PLAIN, symbol: "PLAIN", decimals: 18, usdPerUnit: "1" }],
      ...extra,
    });
    return { ...tempHome().env, X402_PRIVATE_KEY: KEY, X402_WALLET_CONFIG: config };
  }

  it.each([
    [["permit2"], /permit2: say what to do/],
    [["permit2", "revoke"], /unknown subcommand "revoke"/],
    [["permit2", "approve", "--token", PLAIN], /give --network .* and --token/],
    [["permit2", "approve", "--network", "eip155:84532", "--token", PLAIN, "--amount", "1"], /Unknown option '--amount'/],
  ])("%j is a usage error", async (args, message) => {
    const result = await runCli(args, await env());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
  });

  it("refuses a token that is not a known asset, a network not enabled and an unknown network", async () => {
    const unknown = await runCli(["permit2", "approve", "--network", "eip155:84532", "--token", "0x3333333333333333333333333333333333333333", "--yes"], await env());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("is not a known token on Base Sepolia");
    const disabled = await runCli(["permit2", "approve", "--network", "eip155:137", "--token", "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359", "--yes"], await env());
    expect(disabled.stderr).toContain(`Polygon (eip155:137) is not enabled: add it to "networks"`);
    const strange = await runCli(["permit2", "approve", "--network", "eip155:999999", "--token", PLAIN, "--yes"], await env());
    expect(strange.stderr).toContain("eip155:999999 is not an EVM network this wallet knows");
  });

  it("refuses without a key, and without a terminal unless --yes, naming the flag", async () => {
    const noKey = { ...(await env()) } as Record<string, string>;
    delete noKey.X402_PRIVATE_KEY;
    const keyless = await runCli(["permit2", "approve", "--network", "eip155:84532", "--token", PLAIN, "--yes"], noKey);
    expect(keyless.stderr).toContain("[NO_WALLET]");
    const noTty = await runCli(["permit2", "approve", "--network", "eip155:84532", "--token", PLAIN], await env());
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toContain("no terminal to ask on; run it in a terminal, or pass --yes");
    expect(noTty.stdout).toBe("");
  });

  it("is listed in --help", async () => {
    const help = await runCli(["--help"], await env());
    expect(help.stdout).toContain("x402-wallet-mcp permit2 approve --network eip155:… --token 0x… [--yes]");
  });
});
