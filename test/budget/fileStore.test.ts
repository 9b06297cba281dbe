import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmdirSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, vi } from "vitest";
import { FileBudgetStore } from "../../src/budget/fileStore.js";
import { LedgerFile } from "../../src/budget/ledgerFile.js";
import type { BudgetLimits, ReserveRequest } from "../../src/budget/types.js";
import type { Logger } from "../../src/log.js";
import { receipt } from "./storeContract.js";

const limits: BudgetLimits = { perCall: 100_000n, perSession: 1_000_000n, perDay: 50_000n, hosts: [] };

function request(usdMicros: bigint, overrides: Partial<ReserveRequest> = {}): ReserveRequest {
  return {
    sessionId: "s1",
    usdMicros,
    limits,
    meta: { url: "http://api.test/x", host: "api.test", network: "eip155:84532", asset: "0xA", amountAtomic: usdMicros, payTo: "0xB" },
    ...overrides,
  };
}

function ledgerPath(): string {
  return join(mkdtempSync(join(tmpdir(), "x402-ledger-")), "ledger.jsonl");
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (level, message) => lines.push(`${level}: ${message}`) };
}

describe("FileBudgetStore", () => {
  it("never reserves past the daily cap, even with parallel callers, and releases give back", async () => {
    const store = await FileBudgetStore.open(ledgerPath(), recordingLogger());
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => store.reserve(request(10_000n))));
    const granted = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    expect(granted).toHaveLength(5);
    for (const r of results) if (r.status === "rejected") expect(r.reason.code).toBe("DAILY_BUDGET_EXCEEDED");
    await store.release(granted[0]!);
    await store.commit(granted[1]!, { status: "verified", receipt: receipt("verified") });
    await store.release(granted[1]!); // a committed payment is not given back by a stray release
    expect((await store.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(40_000n);
    await store.close();
  });

  it("shares the daily cap between two stores on one ledger, and a restart keeps it", async () => {
    const path = ledgerPath();
    const a = await FileBudgetStore.open(path, recordingLogger());
    const b = await FileBudgetStore.open(path, recordingLogger());
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).reserve(request(10_000n, { sessionId: `s${i % 2}` }))),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    await a.close();
    await b.close();
    const restarted = await FileBudgetStore.open(path, recordingLogger());
    expect((await restarted.usage({ sessionId: "new", hostPatterns: [] })).day).toBe(50_000n);
    await expect(restarted.reserve(request(1n))).rejects.toMatchObject({ code: "DAILY_BUDGET_EXCEEDED" });
    await restarted.close();
  });

  it("counts only the last 24 hours", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const path = ledgerPath();
    const store = await FileBudgetStore.open(path, recordingLogger(), () => now);
    await store.reserve(request(30_000n));
    now += 23 * 3600_000;
    await store.reserve(request(20_000n));
    await expect(store.reserve(request(10_000n))).rejects.toMatchObject({ code: "DAILY_BUDGET_EXCEEDED" });
    now += 1 * 3600_000 + 1;
    expect((await store.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(20_000n);
    await store.close();
    const reopened = await FileBudgetStore.open(path, recordingLogger(), () => now);
    expect((await reopened.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(20_000n);
    await reopened.close();
  });

  it("tolerates a line torn by a crash: reports it, keeps every other entry, appends on a new line", async () => {
    const path = ledgerPath();
    const first = await FileBudgetStore.open(path, recordingLogger());
    await first.reserve(request(10_000n));
    await first.reserve(request(10_000n));
    await first.close();
    appendFileSync(path, '{"type":"reserve","id":"torn","at":12');
    const logger = recordingLogger();
    const second = await FileBudgetStore.open(path, logger);
    expect(logger.lines.join("\n")).toMatch(/1 unreadable line/);
    expect((await second.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(20_000n);
    await second.reserve(request(10_000n));
    await second.close();
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[3]!).type).toBe("reserve");
    const third = await FileBudgetStore.open(path, recordingLogger());
    expect((await third.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(30_000n);
    await third.close();
  });

  it("applies host limits to the hosts that match their pattern", async () => {
    const store = await FileBudgetStore.open(ledgerPath(), recordingLogger());
    const hostLimited = { ...limits, perDay: 10_000_000n, hosts: [{ pattern: "*.example.com", perCall: undefined, perDay: 25_000n }] };
    const to = (host: string) =>
      request(10_000n, { limits: host.endsWith(".example.com") ? hostLimited : { ...hostLimited, hosts: [] }, meta: { ...request(1n).meta, host } });
    await store.reserve(to("a.example.com"));
    await store.reserve(to("other.test"));
    await store.reserve(to("b.example.com"));
    await expect(store.reserve(to("c.example.com"))).rejects.toMatchObject({ code: "HOST_BUDGET_EXCEEDED" });
    await store.close();
  });

  it("returns history newest first with the latest outcome, without released entries", async () => {
    const store = await FileBudgetStore.open(ledgerPath(), recordingLogger());
    const a = await store.reserve(request(10_000n));
    await store.recordSigned(a, { payer: "0xC", validBefore: 1, nonce: "0x01" });
    await store.commit(a, { status: "settled", receipt: receipt("settled") });
    await store.commit(a, { status: "verified", receipt: receipt("verified") });
    const b = await store.reserve(request(20_000n, { meta: { ...request(1n).meta, host: "other.test" } }));
    await store.release(b);
    const c = await store.reserve(request(5_000n));
    await store.recordSigned(c, { payer: "0xC", validBefore: 1, nonce: "0x02" });
    const history = await store.history({ limit: 10, sinceMs: 0, host: undefined });
    expect(history.map((h) => [h.id, h.status])).toEqual([
      [c.id, "signed"],
      [a.id, "verified"],
    ]);
    expect(await store.history({ limit: 10, sinceMs: 0, host: "other.test" })).toEqual([]);
    expect(await store.history({ limit: 1, sinceMs: 0, host: undefined })).toHaveLength(1);
    await store.close();
  });

  it("applies an agent's daily cap on top of the wallet's and keeps each agent's history apart", async () => {
    const store = await FileBudgetStore.open(ledgerPath(), recordingLogger());
    const as = (agent: string, perDay: bigint) =>
      request(10_000n, { limits: { ...limits, perDay: 1_000_000n, agent: { name: agent, perDay } }, meta: { ...request(1n).meta, agent } });
    await store.reserve(as("alice", 20_000n));
    await store.reserve(as("alice", 20_000n));
    await expect(store.reserve(as("alice", 20_000n))).rejects.toThrow(/agent "alice"'s 0\.02 USD daily budget/);
    await store.reserve(as("bob", 20_000n));
    expect((await store.history({ limit: 10, sinceMs: 0, host: undefined, agent: "alice" })).map((h) => h.meta.agent)).toEqual(["alice", "alice"]);
    expect(await store.history({ limit: 10, sinceMs: 0, host: undefined, agent: "bob" })).toHaveLength(1);
    expect((await store.usage({ sessionId: "s1", hostPatterns: [], agent: "alice" })).agentDay).toBe(20_000n);
    await store.close();
  });

  it("sees another process's reservation in usage() as soon as it is written", async () => {
    const path = ledgerPath();
    const a = await FileBudgetStore.open(path, recordingLogger());
    const b = await FileBudgetStore.open(path, recordingLogger());
    expect((await a.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(0n);
    await b.reserve(request(10_000n));
    expect((await a.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(10_000n);
    await a.close();
    await b.close();
  });

  it("puts a signature and an outcome on disk before they resolve; a reservation or release waits for no disk", async () => {
    const path = ledgerPath();
    const store = await FileBudgetStore.open(path, recordingLogger());
    const onDisk: string[][] = [];
    const realSync = LedgerFile.prototype.sync;
    const sync = vi.spyOn(LedgerFile.prototype, "sync").mockImplementation(async function (this: LedgerFile) {
      await realSync.call(this);
      onDisk.push(readFileSync(path, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line).type));
    });
    try {
      const kept = await store.reserve(request(10_000n));
      const released = await store.reserve(request(10_000n));
      await store.release(released);
      expect(sync).not.toHaveBeenCalled();
      await store.recordSigned(kept, { payer: "0xC", validBefore: 1, nonce: undefined });
      expect(sync).toHaveBeenCalledTimes(1);
      await store.commit(kept, { status: "verified", receipt: receipt("verified") });
      expect(sync).toHaveBeenCalledTimes(2);
      // Each sync ran after its line was written, so it is what made that line durable.
      expect(onDisk.map((types) => types.at(-1))).toEqual(["sign", "outcome"]);
    } finally {
      sync.mockRestore();
    }
    const types = readFileSync(path, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line).type);
    expect(types).toEqual(["reserve", "reserve", "release", "sign", "outcome"]);
    await store.close();
  });

  it("runs operations queued together under one lock with one sync (group commit), each with its own result", async () => {
    const store = await FileBudgetStore.open(ledgerPath(), recordingLogger());
    const reservations = await Promise.all(Array.from({ length: 5 }, () => store.reserve(request(10_000n))));
    const sync = vi.spyOn(LedgerFile.prototype, "sync");
    try {
      const signed = reservations.map((r) => store.recordSigned(r, { payer: "0xC", validBefore: 1, nonce: undefined }));
      const refused = store.reserve(request(10_000n));
      await Promise.all(signed);
      await expect(refused).rejects.toMatchObject({ code: "DAILY_BUDGET_EXCEEDED" });
      // Five signatures made durable by fewer syncs than five: they shared batches.
      expect(sync.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(sync.mock.calls.length).toBeLessThan(5);
    } finally {
      sync.mockRestore();
    }
    expect((await store.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(50_000n);
    await store.close();
  });

  it("waits while another process holds the lock, and takes over a lock left by a dead one once it is stale", async () => {
    const path = ledgerPath();
    const store = await FileBudgetStore.open(path, recordingLogger());
    mkdirSync(`${path}.lock`);
    let done = false;
    const waiting = store.reserve(request(10_000n)).then((r) => {
      done = true;
      return r;
    });
    await sleep(300);
    expect(done).toBe(false);
    rmdirSync(`${path}.lock`);
    await expect(waiting).resolves.toMatchObject({ usdMicros: 10_000n });

    // A holder killed with -9 never removes its lock; its last refresh is what makes it stale.
    // (The store gives its own lock back just after the reservation settles.)
    await expect.poll(() => existsSync(`${path}.lock`)).toBe(false);
    mkdirSync(`${path}.lock`);
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(`${path}.lock`, longAgo, longAgo);
    await expect(store.reserve(request(10_000n))).resolves.toMatchObject({ usdMicros: 10_000n });
    await store.close();
  });

  it("reads a long history without holding the lock: another process reserves meanwhile", async () => {
    const path = ledgerPath();
    const now = Date.now();
    const lines = Array.from({ length: 60_000 }, (_, i) =>
      JSON.stringify({ type: "reserve", id: `old-${i}`, at: now - 3 * 86_400_000 + i, sessionId: "old", url: "http://api.test/x", host: "api.test", network: "eip155:84532", asset: "0xA", amountAtomic: "1", usdMicros: "1", payTo: "0xB" }),
    );
    writeFileSync(path, `${lines.join("\n")}\n`);
    const reader = await FileBudgetStore.open(path, recordingLogger());
    const payer = await FileBudgetStore.open(path, recordingLogger());
    const order: string[] = [];
    const history = reader.history({ limit: 10, sinceMs: 0, host: undefined }).then((h) => {
      order.push("history");
      return h;
    });
    const reserved = payer.reserve(request(10_000n)).then(() => order.push("reserve"));
    const [entries] = await Promise.all([history, reserved]);
    expect(entries).toHaveLength(10);
    expect(order).toEqual(["reserve", "history"]);
    await reader.close();
    await payer.close();
  });

  /** A reserve line as another process writes it. */
  const foreignReserve = (id: string, usdMicros: bigint) =>
    `${JSON.stringify({ type: "reserve", id, at: Date.now(), sessionId: "other", url: "http://api.test/x", host: "api.test", network: "eip155:84532", asset: "0xA", amountAtomic: String(usdMicros), usdMicros: String(usdMicros), payTo: "0xB" })}\n`;

  it("checks where its line landed: lines another process wrote after it caught up count first, and a reservation over a cap then is given back and refused", async () => {
    const path = ledgerPath();
    // Runs at the next clock read, which comes after the store caught up under its lock and
    // checked the caps, just before it writes: what another process writes then is what a
    // holder paused past the stale age between its lock check and its write would write.
    let meanwhile: (() => void) | undefined;
    const now = () => {
      const run = meanwhile;
      meanwhile = undefined;
      run?.();
      return Date.now();
    };
    const logger = recordingLogger();
    const store = await FileBudgetStore.open(path, logger, now);
    await store.reserve(request(20_000n));

    meanwhile = () => appendFileSync(path, foreignReserve("other-1", 10_000n));
    await expect(store.reserve(request(10_000n))).resolves.toMatchObject({ usdMicros: 10_000n });
    expect((await store.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(40_000n);

    // 40 000 spent and 10 000 asked: within the cap as read, over it with the line written meanwhile.
    meanwhile = () => appendFileSync(path, foreignReserve("other-2", 10_000n));
    await expect(store.reserve(request(10_000n))).rejects.toMatchObject({ code: "DAILY_BUDGET_EXCEEDED" });
    expect((await store.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(50_000n);
    const events = readFileSync(path, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(events.map((e) => e.type)).toEqual(["reserve", "reserve", "reserve", "reserve", "reserve", "release"]);
    expect(events[5].id).toBe(events[4].id);
    await store.close();

    expect(logger.lines.filter((line) => /unreadable/.test(line))).toEqual([]);
    expect(logger.lines.filter((line) => /another process wrote/.test(line))).toHaveLength(2);
    const reopened = await FileBudgetStore.open(path, recordingLogger());
    expect((await reopened.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(50_000n);
    await reopened.close();
  });

  it("finding its lock taken over, writes nothing and runs the operation again under a new lock, after what the new holder wrote", async () => {
    const path = ledgerPath();
    let meanwhile: (() => void) | undefined;
    const now = () => {
      const run = meanwhile;
      meanwhile = undefined;
      run?.();
      return Date.now();
    };
    const store = await FileBudgetStore.open(path, recordingLogger(), now);
    await store.reserve(request(20_000n));
    // Another process takes the lock over (as if this one had been paused past the stale age) and reserves.
    meanwhile = () => {
      renameSync(`${path}.lock`, `${path}.lock.taken-over`);
      writeFileSync(`${path}.lock`, "");
      appendFileSync(path, foreignReserve("other-1", 20_000n));
    };
    let settled = false;
    const late = store.reserve(request(20_000n)).finally(() => (settled = true));
    await sleep(200);
    // It waits for the new holder's lock, which it left in place.
    expect(settled).toBe(false);
    expect(existsSync(`${path}.lock`)).toBe(true);
    expect(readFileSync(path, "utf8").trimEnd().split("\n")).toHaveLength(2);
    unlinkSync(`${path}.lock`);
    await expect(late).rejects.toMatchObject({ code: "DAILY_BUDGET_EXCEEDED" });
    expect((await store.usage({ sessionId: "s1", hostPatterns: [] })).day).toBe(40_000n);
    await store.close();
  });

  it("refuses with BUDGET_STORE_UNAVAILABLE when the ledger cannot be opened", async () => {
    const dir = mkdtempSync(join(tmpdir(), "x402-ledger-"));
    writeFileSync(join(dir, "file"), "");
    await expect(FileBudgetStore.open(join(dir, "file", "ledger.jsonl"), recordingLogger())).rejects.toMatchObject({
      code: "BUDGET_STORE_UNAVAILABLE",
    });
  });
});

describe("LedgerFile.readTail", () => {
  it("reads back only to the window, however long the history", async () => {
    const path = ledgerPath();
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      lines.push(JSON.stringify({ type: "release", id: `old-${i}`, at: 1_000 + i }));
    }
    for (let i = 0; i < 10; i++) lines.push(JSON.stringify({ type: "release", id: `new-${i}`, at: 10_000_000 + i }));
    writeFileSync(path, `${lines.join("\n")}\n`);
    const file = await LedgerFile.open(path);
    const { events, unreadable } = await file.readTail(file.size(), 5_000_000);
    expect(unreadable).toBe(0);
    expect(events.map((e) => e.id)).toEqual(Array.from({ length: 10 }, (_, i) => `new-${i}`));
    const all = await file.readTail(file.size(), 0);
    expect(all.events).toHaveLength(20_010);
    expect(all.events[0]!.id).toBe("old-0");
    await file.close();
  });
});
