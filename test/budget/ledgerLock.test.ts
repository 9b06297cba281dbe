import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, statSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
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
    const second = acquireLedgerLock(path, ignoreLoss).then((release) => {
      order.push("second in");
      return release;
    });
    await sleep(100);
    order.push("first out");
    await first();
    await (await second)();
    expect(order).toEqual(["first out", "second in"]);
    expect(existsSync(`${path}.lock`)).toBe(false);

    mkdirSync(`${path}.lock`);
    let acquired = false;
    const waiting = acquireLedgerLock(path, ignoreLoss).then((release) => {
      acquired = true;
      return release;
    });
    await sleep(200);
    expect(acquired).toBe(false);
    rmdirSync(`${path}.lock`);
    await (await waiting)();
  });

  it("takes over a lock whose holder stopped refreshing it, and only then", async () => {
    const path = ledger();
    mkdirSync(`${path}.lock`);
    const lastRefresh = new Date(Date.now() - STALE_LOCK_MS - 1_000);
    utimesSync(`${path}.lock`, lastRefresh, lastRefresh);
    const started = Date.now();
    const release = await acquireLedgerLock(path, ignoreLoss);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(statSync(`${path}.lock`).mtimeMs).toBeGreaterThan(lastRefresh.getTime() + STALE_LOCK_MS);
    await release();
  });

  it("refreshes a lock held long, so others do not take it for dead, and reports one removed under it", async () => {
    const path = ledger();
    const lost: string[] = [];
    const release = await acquireLedgerLock(path, (message) => lost.push(message));
    const acquiredAt = statSync(`${path}.lock`).mtimeMs;
    await sleep(STALE_LOCK_MS / 5 + 400);
    expect(statSync(`${path}.lock`).mtimeMs).toBeGreaterThan(acquiredAt + STALE_LOCK_MS / 10);
    expect(lost).toEqual([]);

    rmdirSync(`${path}.lock`);
    await sleep(STALE_LOCK_MS / 5 + 400);
    expect(lost).toEqual([expect.stringMatching(/^ledger lock .*\.lock lost while held: ENOENT/)]);
    await release();
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
});
