import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileBudgetStore } from "../../src/budget/fileStore.js";
import { openBudgetStore } from "../../src/budget/openBudgetStore.js";
import { RedisBudgetStore } from "../../src/budget/redisStore.js";
import { startRedis, type RedisHandle } from "../rig/redis.js";
import { request } from "./storeContract.js";

const logger = { log: () => undefined };
const ledgerPath = () => join(mkdtempSync(join(tmpdir(), "x402-ledger-")), "ledger.jsonl");

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe("openBudgetStore", () => {
  it("opens the file ledger for { kind: file }", async () => {
    const store = await openBudgetStore({ store: { kind: "file" }, ledgerPath: ledgerPath(), wallet: undefined, logger });
    expect(store).toBeInstanceOf(FileBudgetStore);
    await store.close();
  });

  it("opens the Redis store for { kind: redis }, one budget per wallet whatever the address's case", async () => {
    const config = { kind: "redis" as const, url: redis.url, prefix: "open:", leaseMs: 60_000, timeoutMs: 2_000, minReplicasAcked: 0 };
    const wallet = "0xAbCdEf0000000000000000000000000000000001";
    const a = await openBudgetStore({ store: config, ledgerPath: ledgerPath(), wallet, logger });
    const b = await openBudgetStore({ store: config, ledgerPath: ledgerPath(), wallet: wallet.toLowerCase(), logger });
    const other = await openBudgetStore({ store: config, ledgerPath: ledgerPath(), wallet: "0x0000000000000000000000000000000000000002", logger });
    expect(a).toBeInstanceOf(RedisBudgetStore);
    await a.reserve(request(10_000n));
    expect((await b.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(10_000n);
    expect((await other.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(0n);
    await Promise.all([a.close(), b.close(), other.close()]);
  });

  it("keys a Solana-only wallet's Redis budget by its base58 address, case kept", async () => {
    const config = { kind: "redis" as const, url: redis.url, prefix: "open:", leaseMs: 60_000, timeoutMs: 2_000, minReplicasAcked: 0 };
    const wallet = "9YTPXdhxfycNeoDgXc2RjCikXMRfhx5Ek6mVKVMhzcXm";
    const a = await openBudgetStore({ store: config, ledgerPath: ledgerPath(), wallet, logger });
    const lowered = await openBudgetStore({ store: config, ledgerPath: ledgerPath(), wallet: wallet.toLowerCase(), logger });
    await a.reserve(request(10_000n));
    expect((await lowered.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(0n);
    expect((await a.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(10_000n);
    await Promise.all([a.close(), lowered.close()]);
  });

  it("refuses a Redis store without a wallet address, saying how to set one", async () => {
    await expect(
      openBudgetStore({ store: { kind: "redis", url: redis.url, prefix: "open:", leaseMs: 60_000, timeoutMs: 2_000, minReplicasAcked: 0 }, ledgerPath: ledgerPath(), wallet: null, logger }),
    ).rejects.toMatchObject({ code: "CONFIG_INVALID", message: expect.stringMatching(/X402_PRIVATE_KEY or X402_KEY_FILE/) });
  });
});
