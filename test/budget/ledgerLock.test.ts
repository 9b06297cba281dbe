import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, statSync, unlinkSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { acquireLedgerLock, STALE_LOCK_MS } from "../../src/budget/ledgerLock.js";

const ledger = () => join(mkdtempSync(join(tmpdir(), "ledger-lock-")), "ledger.jsonl");
const ignoreLoss = () => undefined;

describe("acquireLedgerLock", () => {
  it("lets one holder in at a time, in this process and against a lock another process holds", async () => {
    const path = ledger();
    const order: string[] = [];
    const first = await acquireLedgerLock(path, ignoreLoss);
    const second = acquireLedgerLock(path, ignoreLoss).then((lock) => {
      order.push("second in");
      return lock;
    });
    await sleep(100);
    order.push("first out");
    await first.release();
    await (await second).release();
    expect(order).toEqual(["first out", "second in"]);
    expect(existsSync(`${path}.lock`)).toBe(false);

    // A directory, as an older version of the server makes its lock.
    mkdirSync(`${path}.lock`);
    let acquired = false;
    const waiting = acquireLedgerLock(path, ignoreLoss).then((lock) => {
      acquired = true;
      return lock;
    });
    await sleep(200);
    expect(acquired).toBe(false);
    rmdirSync(`${path}.lock`);
    await (await waiting).release();
  });

  it("takes over a lock whose holder stopped refreshing it, and only then", async () => {
    const path = ledger();
    mkdirSync(`${path}.lock`);
    const lastRefresh = new Date(Date.now() - STALE_LOCK_MS - 1_000);
    utimesSync(`${path}.lock`, lastRefresh, lastRefresh);
    const started = Date.now();
    const lock = await acquireLedgerLock(path, ignoreLoss);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(statSync(`${path}.lock`).mtimeMs).toBeGreaterThan(lastRefresh.getTime() + STALE_LOCK_MS);
    await lock.release();
  });

  it("refreshes a lock held long, so others do not take it for dead, and reports one removed under it", async () => {
    const path = ledger();
    const lost: string[] = [];
    const lock = await acquireLedgerLock(path, (message) => lost.push(message));
    const acquiredAt = statSync(`${path}.lock`).mtimeMs;
    await sleep(STALE_LOCK_MS / 5 + 400);
    expect(statSync(`${path}.lock`).mtimeMs).toBeGreaterThan(acquiredAt + STALE_LOCK_MS / 10);
    expect(lost).toEqual([]);

    unlinkSync(`${path}.lock`);
    await sleep(STALE_LOCK_MS / 5 + 400);
    expect(lost).toEqual([expect.stringMatching(/^ledger lock .*\.lock lost while held/)]);
    expect(lock.held()).toBe(false);
    await lock.release();
  });

  it("a holder whose lock was taken over as stale knows it, and leaves the new holder's lock alone", async () => {
    const path = ledger();
    const lost: string[] = [];
    const paused = await acquireLedgerLock(path, (message) => lost.push(message));
    expect(paused.held()).toBe(true);
    // What a holder stopped for longer than the stale age leaves: a lock not refreshed since.
    const lastRefresh = new Date(Date.now() - STALE_LOCK_MS - 1_000);
    utimesSync(`${path}.lock`, lastRefresh, lastRefresh);
    const next = await acquireLedgerLock(path, ignoreLoss);
    expect(next.held()).toBe(true);
    expect(paused.held()).toBe(false);
    await sleep(STALE_LOCK_MS / 5 + 400);
    expect(lost).toEqual([expect.stringMatching(/^ledger lock .*\.lock lost while held/)]);
    await paused.release();
    expect(existsSync(`${path}.lock`)).toBe(true);
    expect(next.held()).toBe(true);
    await next.release();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it("removes a lock it holds when the process exits", () => {
    const path = ledger();
    const module = pathToFileURL(resolve(import.meta.dirname, "../../dist/budget/ledgerLock.js")).href;
    execFileSync(process.execPath, [
      "--input-type=module",
      "-e",
      `const { acquireLedgerLock } = await import(${JSON.stringify(module)});
       await acquireLedgerLock(${JSON.stringify(path)}, () => undefined);
       if (!(await import("node:fs")).existsSync(${JSON.stringify(`${path}.lock`)})) process.exit(3);
       process.exit(0);`,
    ]);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  /** What one racer saw while it held the lock (test/budget/lockHolder.ts). */
  interface Hold {
    pid: number;
    lost: boolean;
    others: number[];
  }
  const TRIALS = 20;
  const RACERS = 4;
  it(`lets one of ${RACERS} processes that find a dead holder's lock at once take it over, ${TRIALS} times`, async () => {
    const racers = Array.from({ length: RACERS }, () => {
      const child = spawn(process.execPath, ["--import", "tsx", resolve(import.meta.dirname, "lockHolder.ts")], { stdio: ["pipe", "pipe", "inherit"] });
      const answers: ((held: Hold) => void)[] = [];
      createInterface({ input: child.stdout! }).on("line", (line) => answers.shift()?.(JSON.parse(line)));
      return { child, answers };
    });
    try {
      const shared: number[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const path = ledger();
        mkdirSync(`${path}.lock`);
        const lastRefresh = new Date(Date.now() - STALE_LOCK_MS - 1_000);
        utimesSync(`${path}.lock`, lastRefresh, lastRefresh);
        // Far enough ahead for every racer to be spinning (the first trial waits for them to load).
        const at = Date.now() + (trial === 0 ? 3_000 : 100);
        const holds = await Promise.all(
          racers.map(
            ({ child, answers }) =>
              new Promise<Hold>((answer) => {
                answers.push(answer);
                child.stdin!.write(`${JSON.stringify({ ledger: path, at, holdMs: 20 })}\n`);
              }),
          ),
        );
        // Two holders at once that both kept seeing their lock: both could have written on one reading.
        const holding = new Set(holds.filter((hold) => !hold.lost).map((hold) => hold.pid));
        if (holds.some((hold) => !hold.lost && hold.others.some((pid) => holding.has(pid)))) shared.push(trial);
        expect(existsSync(`${path}.lock`)).toBe(false);
      }
      // Trials in which two processes held the lock at once.
      expect(shared).toEqual([]);
    } finally {
      for (const { child } of racers) child.kill("SIGKILL");
    }
  }, 60_000);
});
