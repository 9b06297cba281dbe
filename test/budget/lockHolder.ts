/**
 * Takes the ledger lock for test/budget/ledgerLock.test.ts in a process of its own: for each
 * line {"ledger", "at", "holdMs"} on stdin it spins until `at` (epoch ms, so processes given
 * the same moment start within microseconds of each other), takes the lock, holds it for
 * holdMs and gives it back. While it holds the lock it keeps a directory `<ledger>.holder`:
 * finding that directory already there means another process holds the lock too. It
 * prints {"alone": true|false}.
 */
import { mkdirSync, rmdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { acquireLedgerLock } from "../../src/budget/ledgerLock.js";

createInterface({ input: process.stdin }).on("line", async (line) => {
  const { ledger, at, holdMs } = JSON.parse(line) as { ledger: string; at: number; holdMs: number };
  while (Date.now() < at);
  const lock = await acquireLedgerLock(ledger, () => undefined);
  let alone = true;
  try {
    mkdirSync(`${ledger}.holder`);
  } catch {
    alone = false;
  }
  await sleep(holdMs);
  if (alone) rmdirSync(`${ledger}.holder`);
  await lock.release();
  process.stdout.write(`${JSON.stringify({ alone })}\n`);
});
