import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { containsKey, runCli, tempHome } from "./run.js";

/** The JSON object printed between a line "{" and the next line "}". */
function printedJson(stdout: string): unknown {
  const lines = stdout.split("\n");
  const start = lines.indexOf("{");
  const end = lines.indexOf("}", start);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return JSON.parse(lines.slice(start, end + 1).join("\n"));
}

describe("x402-wallet-mcp init", () => {
  it("creates a 0600 key file in a 0700 folder and prints its address and the client config", async () => {
    const { dir, env } = tempHome();
    const result = await runCli(["init"], env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);

    const folder = join(dir, ".config", "x402-wallet-mcp");
    const path = join(folder, "key");
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const key = readFileSync(path, "utf8");
    expect(key).toMatch(/^0x[0-9a-f]{64}\n$/);

    const address = privateKeyToAccount(key.trim() as `0x${string}`).address;
    expect(result.stdout).toMatch(new RegExp(`^  address +${address}$`, "m"));
    expect(result.stdout).toContain(`Fund it: send USDC on Base (eip155:8453) to ${address}.`);
    expect(result.stdout).toMatch(/Base Sepolia USDC \(eip155:84532\) from a faucet/);

    expect(printedJson(result.stdout)).toEqual({
      mcpServers: {
        "x402-wallet": {
          command: "npx",
          args: ["-y", "x402-wallet-mcp"],
          env: { X402_KEY_FILE: path, X402_MAX_PER_CALL: "0.10", X402_SESSION_BUDGET: "1.00", X402_DAILY_BUDGET: "5.00" },
        },
      },
    });
    expect(result.stdout).toContain(
      `claude mcp add x402-wallet --env X402_KEY_FILE=${path} --env X402_MAX_PER_CALL=0.10 --env X402_SESSION_BUDGET=1.00 --env X402_DAILY_BUDGET=5.00 -- npx -y x402-wallet-mcp`,
    );
    expect(containsKey(result.stdout + result.stderr, key.trim())).toBe(false);
  });

  it("never overwrites a key file: a second init exits 1, names the file and its address, and leaves it byte-identical", async () => {
    const { dir, env } = tempHome();
    expect((await runCli(["init"], env)).code).toBe(0);
    const path = join(dir, ".config", "x402-wallet-mcp", "key");
    const before = readFileSync(path);
    const address = privateKeyToAccount(before.toString("utf8").trim() as `0x${string}`).address;

    const again = await runCli(["init"], env);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe("");
    expect(again.stderr).toContain(`a key file already exists at ${path} (wallet ${address}). It was left unchanged.`);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(containsKey(again.stdout + again.stderr, before.toString("utf8").trim())).toBe(false);
  });

  it("writes to X402_KEY_FILE when set, creating its folders 0700", async () => {
    const { dir, env } = tempHome();
    const path = join(dir, "secrets", "deep", "wallet.key");
    const result = await runCli(["init"], { ...env, X402_KEY_FILE: path });
    expect(result.code).toBe(0);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "secrets", "deep")).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "secrets")).mode & 0o777).toBe(0o700);
    expect((printedJson(result.stdout) as any).mcpServers["x402-wallet"].env.X402_KEY_FILE).toBe(path);
  });

  it("refuses to replace a file that holds no key, and says its address could not be read", async () => {
    const { dir, env } = tempHome();
    const path = join(dir, "keys", "key");
    mkdirSync(join(dir, "keys"));
    writeFileSync(path, "not a key\n", { mode: 0o600 });
    const result = await runCli(["init"], { ...env, X402_KEY_FILE: path });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`a key file already exists at ${path} (its address could not be read: [CONFIG_INVALID] the key file ${path} does not hold a private key`);
    expect(readFileSync(path, "utf8")).toBe("not a key\n");
  });

  it("rejects an unknown option with the help on stderr", async () => {
    const { env } = tempHome();
    const result = await runCli(["init", "--force"], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^x402-wallet-mcp: init: Unknown option '--force'/);
    expect(result.stderr).toContain("Usage:");
  });
});
