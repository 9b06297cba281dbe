import { dirname, join } from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FileBudgetStore } from "../../src/budget/fileStore.js";
import { RedisBudgetStore } from "../../src/budget/redisStore.js";
import type { BudgetLimits, BudgetStore, ReserveRequest } from "../../src/budget/types.js";
import { runLedgerImport } from "../../src/cli/ledgerImport.js";
import { startRedis, type RedisHandle } from "../rig/redis.js";
import { receipt, signature } from "../budget/storeContract.js";
import { writeConfig } from "./run.js";

const HOUR = 3_600_000;
const quiet = { log: () => undefined };
const limits: BudgetLimits = { perCall: 100_000n, perSession: 1_000_000n, perDay: 1_000_000n, hosts: [] };

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function reserveRequest(usdMicros: bigint, host = "api.test", agent?: string): ReserveRequest {
  return {
    sessionId: "old-session",
    usdMicros,
    limits,
    meta: { ...(agent ? { agent } : {}), url: `http://${host}/x`, host, network: "eip155:84532", asset: "0xA", amountAtomic: usdMicros, payTo: "0xB" },
  };
}

/** A file ledger with every kind of payment: settled, only reserved, released, signed long ago, rejected. */
async function fileLedger(path: string, now: number): Promise<void> {
  const at = async (ms: number, act: (store: BudgetStore) => Promise<void>) => {
    const store = await FileBudgetStore.open(path, quiet, () => ms);
    await act(store);
    await store.close();
  };
  await at(now - 30 * HOUR, async (s) => s.recordSigned(await s.reserve(reserveRequest(20_000n)), signature));
  await at(now - 2 * HOUR, async (s) => {
    const r = await s.reserve(reserveRequest(10_000n, "a.example.com", "alice"));
    await s.recordSigned(r, signature);
    await s.commit(r, { status: "settled", receipt: receipt("settled") });
    await s.commit(r, { status: "verified", receipt: receipt("verified") });
  });
  await at(now - HOUR, async (s) => void (await s.reserve(reserveRequest(5_000n))));
  await at(now - HOUR / 2, async (s) => s.release(await s.reserve(reserveRequest(7_000n))));
  await at(now - HOUR / 6, async (s) => {
    const r = await s.reserve(reserveRequest(3_000n, "b.example.com", "bob"));
    await s.recordSigned(r, signature);
    await s.commit(r, { status: "rejected", reason: "no", receipt: receipt("rejected") });
  });
}

/** Runs the command as the CLI would, with its stdout captured. */
async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> {
  let stdout = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  try {
    return { code: await runLedgerImport(args, env), stdout };
  } finally {
    spy.mockRestore();
  }
}

function setup(prefix: string) {
  const key = generatePrivateKey();
  const wallet = privateKeyToAccount(key).address;
  const configPath = writeConfig({ store: { kind: "redis", url: redis.url, prefix } });
  const ledger = join(dirname(configPath), "ledger.jsonl");
  const env = { X402_PRIVATE_KEY: key };
  const openRedis = () =>
    RedisBudgetStore.open({ url: redis.url, prefix, wallet: wallet.toLowerCase(), leaseMs: 60_000, timeoutMs: 2_000, logger: quiet });
  return { wallet, configPath, ledger, env, openRedis };
}

const IMPORT = ["import", "--from", "file", "--to", "redis"];

describe("x402-wallet-mcp ledger import --from file --to redis", () => {
  it("carries the daily, host and agent totals and the history over; a second run adds nothing", async () => {
    const { wallet, configPath, ledger, env, openRedis } = setup("import:");
    const now = Date.now();
    await fileLedger(ledger, now);

    const first = await run([...IMPORT, "--config", configPath], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Imported 5 payment(s) from ${ledger} for wallet ${wallet}.`);
    expect(first.stdout).toContain("The file ledger's last 24 hours: 0.018 USD. The Redis store now counts 0.018 USD spent in the last 24 hours.");

    const file = await FileBudgetStore.open(ledger, quiet);
    const shared = await openRedis();
    const query = { sessionId: "new", hostPatterns: ["*.example.com", "api.test"], agent: "alice" };
    const fileUsage = await file.usage(query);
    expect(fileUsage).toEqual({ session: 0n, day: 18_000n, agentDay: 10_000n, hostsDay: [{ pattern: "*.example.com", spent: 13_000n }, { pattern: "api.test", spent: 5_000n }] });
    expect(await shared.usage(query)).toEqual(fileUsage);
    const everything = { limit: 100, sinceMs: 0, host: undefined };
    const fileHistory = await file.history(everything);
    expect(fileHistory.map((h) => h.status)).toEqual(["rejected", "reserved", "verified", "signed"]);
    expect(await shared.history(everything)).toEqual(fileHistory);
    expect(await shared.history({ ...everything, sinceMs: now - 3 * HOUR, agent: "alice" })).toEqual(
      await file.history({ ...everything, sinceMs: now - 3 * HOUR, agent: "alice" }),
    );

    const second = await run([...IMPORT, "--config", configPath], env);
    expect(second.stdout).toContain("Imported 0 payment(s)");
    expect(second.stdout).toContain("5 were already imported and were skipped");
    expect(await shared.usage(query)).toEqual(fileUsage);
    expect(await shared.history(everything)).toEqual(fileHistory);

    // The carried-over total binds: 1.00 USD per day, 0.018 spent.
    await expect(shared.reserve({ ...reserveRequest(982_001n), limits: { ...limits, perCall: 1_000_000n } })).rejects.toMatchObject({ code: "DAILY_BUDGET_EXCEEDED" });
    await shared.reserve({ ...reserveRequest(982_000n), limits: { ...limits, perCall: 1_000_000n } });
    // An imported reservation that was never released counts until it ages out, with no lease.
    const reservedOnly = fileHistory.find((h) => h.status === "reserved")!;
    await shared.release({ id: reservedOnly.id, sessionId: "old-session", usdMicros: 5_000n, request: reserveRequest(5_000n) });
    expect((await shared.usage(query)).day).toBe(1_000_000n);
    await Promise.all([file.close(), shared.close()]);
  });

  it("refuses, importing nothing, when servers already wrote newer entries to the Redis ledger", async () => {
    const { configPath, ledger, env, openRedis } = setup("conflict:");
    await fileLedger(ledger, Date.now() - HOUR);
    const live = await openRedis();
    await live.reserve(reserveRequest(1_000n));
    await expect(run([...IMPORT, "--config", configPath], env)).rejects.toMatchObject({
      code: "LEDGER_IMPORT_CONFLICT",
      message: expect.stringMatching(/Import before any server uses the Redis store.*Nothing was imported/),
    });
    expect((await live.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(1_000n);
    expect(await live.history({ limit: 10, sinceMs: 0, host: undefined })).toHaveLength(1);
    await live.close();
  });

  it("says what is wrong with the command line, the config or the key", async () => {
    const { configPath, ledger, env } = setup("usage:");
    await fileLedger(ledger, Date.now());
    await expect(run(["import", "--from", "redis", "--to", "file", "--config", configPath], env)).rejects.toMatchObject({
      name: "UsageError",
      message: expect.stringMatching(/only --from file --to redis/),
    });
    await expect(run(["export"], env)).rejects.toMatchObject({ name: "UsageError", message: expect.stringMatching(/unknown subcommand "export"/) });
    await expect(run([...IMPORT, "--bogus"], env)).rejects.toMatchObject({ name: "UsageError" });
    const fileConfig = writeConfig({});
    await expect(run([...IMPORT, "--config", fileConfig], env)).rejects.toMatchObject({ name: "UsageError", message: expect.stringMatching(/needs "store"/) });
    await expect(run([...IMPORT, "--config", configPath], {})).rejects.toMatchObject({ code: "NO_WALLET" });
    const noLedger = writeConfig({ store: { kind: "redis", url: redis.url } });
    await expect(run([...IMPORT, "--config", noLedger], env)).rejects.toMatchObject({ name: "UsageError", message: expect.stringMatching(/no file ledger at/) });
  });
});
