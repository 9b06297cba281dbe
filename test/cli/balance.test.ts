import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDecimal } from "../../src/money.js";
import { deadKeyedRpcUrl, startKeyedRpc } from "../chain/keyedRpc.js";
import { startRig, type Rig, type RigWallet } from "../rig/index.js";
import { writePayments } from "./ledger.js";
import { closedPort, containsKey, runCli, tempHome, writeConfig } from "./run.js";

describe("x402-wallet-mcp balance", () => {
  let rig: Rig;
  let wallet: RigWallet;
  beforeAll(async () => {
    rig = await startRig();
    wallet = await rig.newWallet(12_345_678n);
  });
  afterAll(async () => {
    await rig?.stop();
  });

  function withKeyFile(dir: string): string {
    mkdirSync(join(dir, "wallet"), { mode: 0o700 });
    const path = join(dir, "wallet", "key");
    writeFileSync(path, wallet.privateKey, { mode: 0o600 });
    chmodSync(path, 0o600);
    return path;
  }

  it("shows the address, the on-chain USDC balance and the budget, as wallet_balance does", async () => {
    const { dir, env } = tempHome();
    const ledger = join(dir, "ledger.jsonl");
    await writePayments(ledger, wallet.address, [{ url: "http://api.test/x", usdMicros: 250_000n, at: Date.now() - 60_000, transaction: `0x${"1".repeat(64)}` }]);
    const config = writeConfig({ networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, ledger });
    const result = await runCli(["balance", "--config", config], { ...env, X402_KEY_FILE: withKeyFile(dir) });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const onChain = formatDecimal(await rig.balanceOf(wallet.address), 6);
    expect(onChain).toBe("12.345678");
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe(`Wallet ${wallet.address}`);
    expect(lines[2]).toMatch(/^NETWORK\s+BALANCE$/);
    expect(lines[3]).toBe(`Base Sepolia (eip155:84532)  ${onChain} USDC`);
    expect(result.stdout).toMatch(/^BUDGET \(USD\)\s+SPENT\s+LIMIT\s+LEFT$/m);
    expect(result.stdout).toMatch(/^per call\s+0\.10$/m);
    expect(result.stdout).toMatch(/^per session\s+0\.00\s+1\.00\s+1\.00$/m);
    expect(result.stdout).toMatch(/^last 24 hours\s+0\.25\s+5\.00\s+4\.75$/m);
    expect(containsKey(result.stdout, wallet.privateKey)).toBe(false);
  });

  it("reports a network whose RPC fails and exits 1", async () => {
    const { dir, env } = tempHome();
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const config = writeConfig({ networks: ["eip155:84532", "eip155:8453"], rpc: { "eip155:84532": rig.rpcUrl, "eip155:8453": closed } });
    const result = await runCli(["balance", "--config", config], { ...env, X402_KEY_FILE: withKeyFile(dir) });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`Base Sepolia (eip155:84532)  12.345678 USDC`);
    expect(result.stdout).toMatch(new RegExp(`^Base \\(eip155:8453\\)\\s+unavailable: RPC ${closed} failed: HTTP request failed\\.$`, "m"));
  });

  it("reads through an RPC URL with credentials and never prints them", async () => {
    const keyed = await startKeyedRpc(rig.rpcUrl);
    try {
      const { dir, env } = tempHome();
      const deadPort = await closedPort();
      const dead = deadKeyedRpcUrl(deadPort);
      const config = writeConfig({ networks: ["eip155:84532", "eip155:8453"], rpc: { "eip155:84532": keyed.url, "eip155:8453": dead.url } });
      const result = await runCli(["balance", "--config", config], { ...env, X402_KEY_FILE: withKeyFile(dir) });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(`Base Sepolia (eip155:84532)  12.345678 USDC`);
      expect(result.stdout).toMatch(new RegExp(`^Base \\(eip155:8453\\)\\s+unavailable: RPC http://127\\.0\\.0\\.1:${deadPort}/… failed: HTTP request failed\\.$`, "m"));
      for (const secret of [...keyed.secrets, ...dead.secrets]) expect(result.stdout + result.stderr).not.toContain(secret);
    } finally {
      await keyed.close();
    }
  });

  it("without a key: NO_WALLET on stderr, exit 1", async () => {
    const { env } = tempHome();
    const config = writeConfig({ networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl } });
    const result = await runCli(["balance", "--config", config], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^\[NO_WALLET\] No wallet key is configured\. Set X402_PRIVATE_KEY/);
  });
});
