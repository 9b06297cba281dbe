import { chmodSync, mkdirSync, writeFileSync, appendFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis } from "../rig/redis.js";
import { deadKeyedRpcUrl, startKeyedRpc } from "../chain/keyedRpc.js";
import { startRig, type Rig, type RigWallet } from "../rig/index.js";
import { closedPort, containsKey, doctorRows, runCli, tempHome, writeConfig } from "./run.js";

function keyFile(dir: string, key: string, mode = 0o600): string {
  const path = join(dir, "wallet", "key");
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${key}\n`, { mode });
  chmodSync(path, mode);
  return path;
}

describe("x402-wallet-mcp doctor", () => {
  let rig: Rig;
  let funded: RigWallet;
  beforeAll(async () => {
    rig = await startRig();
    funded = await rig.newWallet(2_500_000n);
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it("passes every check on a healthy setup and exits 0", async () => {
    const { dir, env } = tempHome();
    const config = writeConfig({ networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl } });
    const key = keyFile(dir, funded.privateKey);
    const result = await runCli(["doctor", "--config", config], { ...env, X402_KEY_FILE: key });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const rows = doctorRows(result.stdout);
    expect([...rows.keys()]).toEqual([
      "config",
      "wallet key",
      "key file permissions",
      "key exposure",
      "rpc eip155:84532",
      "usdc eip155:84532",
      "ledger",
      "spent (24 h)",
    ]);
    for (const [name, row] of rows) expect(row.status, `${name}: ${row.text}`).toBe("PASS");
    expect(rows.get("config")?.text).toBe(`loads: ${config} + environment`);
    expect(rows.get("wallet key")?.text).toBe(`wallet ${funded.address} (from the key file ${key})`);
    expect(rows.get("key file permissions")?.text).toBe(`${key}: mode 0600, readable by you only`);
    expect(rows.get("rpc eip155:84532")?.text).toBe(`${rig.rpcUrl} answers, chain id 84532`);
    expect(rows.get("usdc eip155:84532")?.text).toBe("2.50 USDC");
    expect(rows.get("ledger")?.text).toBe(`${join(dirname(config), "ledger.jsonl")}: writable, 0 payment(s) recorded, no unreadable lines`);
    expect(rows.get("spent (24 h)")?.text).toBe("0.00 of 5.00 USD spent in the last 24 hours, 5.00 left");
    expect(result.stdout).toMatch(/^8 checks: 8 passed, 0 warning\(s\), 0 failed, 0 skipped\.$/m);
    expect(containsKey(result.stdout, funded.privateKey)).toBe(false);
  });

  it("checks the Redis budget store when the config names one: passes while it answers, fails with the fix when it does not", async () => {
    const redis = await startRedis();
    try {
      const { dir, env } = tempHome();
      const key = keyFile(dir, funded.privateKey);
      const base = { networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl } };
      const up = await runCli(["doctor", "--config", writeConfig({ ...base, store: { kind: "redis", url: redis.url } })], { ...env, X402_KEY_FILE: key });
      const rows = doctorRows(up.stdout);
      expect(rows.get("budget store (redis)")).toEqual({ status: "PASS", text: `answers; 0 payment(s) in the last 24 hours for ${funded.address}` });
      expect(rows.get("spent (24 h)")?.status).toBe("PASS");
      expect(rows.has("ledger")).toBe(false);
      expect(up.code).toBe(0);

      const port = await closedPort();
      const down = await runCli(["doctor", "--config", writeConfig({ ...base, store: { kind: "redis", url: `redis://:hunter2pw@127.0.0.1:${port}` } })], { ...env, X402_KEY_FILE: key });
      expect(down.code).toBe(1);
      const failed = doctorRows(down.stdout).get("budget store (redis)");
      expect(failed?.status).toBe("FAIL");
      expect(failed?.text).toMatch(/BUDGET_STORE_UNAVAILABLE.*fix: start the Redis server/s);
      expect(down.stdout + down.stderr).not.toContain("hunter2pw");
    } finally {
      await redis.stop();
    }
  });

  it("warns, and still exits 0, for a group-readable key file, an empty wallet and torn ledger lines", async () => {
    const { dir, env } = tempHome();
    const empty = await rig.newWallet();
    const ledger = join(dir, "ledger.jsonl");
    writeFileSync(ledger, '{"type":"reserve","id":"x"');
    appendFileSync(ledger, "\nnot json at all\n");
    const config = writeConfig({ networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, ledger });
    const key = keyFile(dir, empty.privateKey, 0o644);
    const result = await runCli(["doctor", "--config", config], { ...env, X402_KEY_FILE: key });
    expect(result.code).toBe(0);
    const rows = doctorRows(result.stdout);
    expect(rows.get("key file permissions")).toEqual({
      status: "WARN",
      text: `${key}: mode 0644, readable by group or others\nfix: chmod 600 ${key}`,
    });
    expect(rows.get("usdc eip155:84532")).toEqual({
      status: "WARN",
      text: `0.00 USDC: nothing to pay with\nfix: send USDC on Base Sepolia to ${empty.address}`,
    });
    expect(rows.get("ledger")?.status).toBe("WARN");
    expect(rows.get("ledger")?.text).toContain("0 payment(s) recorded, 2 unreadable or torn line(s), skipped");
    expect(result.stdout).toMatch(/^8 checks: 5 passed, 3 warning\(s\), 0 failed, 0 skipped\.$/m);
  });

  it("fails with a fix for an RPC that does not answer, an RPC of another chain, and a bad key; exits 1", async () => {
    const { env } = tempHome();
    const port = await closedPort();
    const closed = `http://127.0.0.1:${port}`;
    const config = writeConfig({ networks: ["eip155:84532", "eip155:8453"], rpc: { "eip155:84532": closed, "eip155:8453": rig.rpcUrl } });
    const badKey = `0x${"ab".repeat(31)}`;
    const result = await runCli(["doctor", "--config", config], { ...env, X402_PRIVATE_KEY: badKey });
    expect(result.code).toBe(1);
    const rows = doctorRows(result.stdout);
    expect(rows.get("config")?.status).toBe("PASS");
    expect(rows.get("wallet key")).toEqual({
      status: "FAIL",
      text:
        "X402_PRIVATE_KEY does not hold a private key: expected 0x followed by 64 hex digits (the value is not shown).\n" +
        "fix: put 0x followed by 64 hex digits in X402_PRIVATE_KEY or in the key file, or run `x402-wallet-mcp init` for a new key file",
    });
    const rpc = rows.get("rpc eip155:84532");
    expect(rpc?.status).toBe("FAIL");
    expect(rpc?.text).toMatch(new RegExp(`^${closed} did not answer: HTTP request failed\\. \\(ECONNREFUSED\\)\\n`));
    expect(rpc?.text).toContain(`fix: check your connection, or set rpc["eip155:84532"] in the config to an RPC URL of chain 84532 that answers`);
    expect(rows.get("usdc eip155:84532")?.status).toBe("SKIP");
    expect(rows.get("rpc eip155:8453")).toEqual({
      status: "FAIL",
      text: `${rig.rpcUrl} answers for chain id 84532, expected 8453\nfix: check your connection, or set rpc["eip155:8453"] in the config to an RPC URL of chain 8453 that answers`,
    });
    expect(result.stdout).toMatch(/ 3 failed, .* Fix the failed checks, then run doctor again\.$/m);
    expect(result.stdout + result.stderr).not.toContain("ab".repeat(31));
  });

  it("shows RPC URLs without their user, password, path or query, passing or failing", async () => {
    const keyed = await startKeyedRpc(rig.rpcUrl);
    try {
      const { dir, env } = tempHome();
      const deadPort = await closedPort();
      const dead = deadKeyedRpcUrl(deadPort);
      const config = writeConfig({ networks: ["eip155:84532", "eip155:8453"], rpc: { "eip155:84532": keyed.url, "eip155:8453": dead.url } });
      const result = await runCli(["doctor", "--config", config], { ...env, X402_KEY_FILE: keyFile(dir, funded.privateKey) });
      const rows = doctorRows(result.stdout);
      expect(rows.get("rpc eip155:84532")?.text).toBe(`http://127.0.0.1:${new URL(keyed.url).port}/… answers, chain id 84532`);
      expect(rows.get("usdc eip155:84532")?.status).toBe("PASS");
      expect(rows.get("rpc eip155:8453")?.text).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${deadPort}/… did not answer: HTTP request failed\\. \\(ECONNREFUSED\\)\\n`));
      for (const secret of [...keyed.secrets, ...dead.secrets]) expect(result.stdout + result.stderr).not.toContain(secret);
    } finally {
      await keyed.close();
    }
  });

  it("fails on an unknown config key, naming it, and skips what needs the config", async () => {
    const { dir, env } = tempHome();
    const config = writeConfig({ networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, budgett: { perCall: "1" } } as never);
    const result = await runCli(["doctor", "--config", config], { ...env, X402_KEY_FILE: keyFile(dir, funded.privateKey) });
    expect(result.code).toBe(1);
    const rows = doctorRows(result.stdout);
    expect(rows.get("config")).toEqual({
      status: "FAIL",
      text:
        `Invalid config (${config} and environment):\n- (top level): unknown key(s) "budgett"\n` +
        `fix: correct what the message names in ${config}; the README's Configuration table lists every key and its form`,
    });
    expect(rows.get("wallet key")?.status).toBe("PASS");
    expect(rows.get("networks and ledger")?.status).toBe("SKIP");
    expect([...rows.keys()]).not.toContain("rpc eip155:84532");
  });

  it("fails when no key is configured, pointing at init", async () => {
    const { env } = tempHome();
    const config = writeConfig({ networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl } });
    const result = await runCli(["doctor", "--config", config], env);
    expect(result.code).toBe(1);
    expect(rows(result.stdout, "wallet key")).toEqual({
      status: "FAIL",
      text:
        "no key configured: neither X402_PRIVATE_KEY nor X402_KEY_FILE is set\n" +
        "fix: run `x402-wallet-mcp init` to create a key file, then set X402_KEY_FILE to its path in the server's env",
    });
    expect(rows(result.stdout, "usdc eip155:84532")?.status).toBe("SKIP");
  });
});

function rows(stdout: string, name: string) {
  return doctorRows(stdout).get(name);
}
