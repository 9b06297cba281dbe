/**
 * Takes the ledger lock for test/budget/ledgerLock.test.ts in a process of its own: for each
 * line {"ledger", "at", "holdMs"} on stdin it spins until `at` (epoch ms, so processes given
 * the same moment start within microseconds of each other), takes the lock, holds it for
 * holdMs and gives it back. While it holds the lock it keeps a file `<ledger>.in-<pid>`, and
 * it checks `held()` about every millisecond, as the ledger checks it before every write: a
 * holder that sees its lock gone at any moment would have written nothing from then on. It
 * prints {"pid", "lost", "others"}: whether it ever saw its lock gone, and the pids whose
 * files it saw while it held the lock.
 */
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { acquireLedgerLock } from "../../src/budget/ledgerLock.js";

createInterface({ input: process.stdin }).on("line", async (line) => {
  const { ledger, at, holdMs } = JSON.parse(line) as { ledger: string; at: number; holdMs: number };
  while (Date.now() < at);
  const lock = await acquireLedgerLock(ledger, () => undefined);
  const mine = `${ledger}.in-${process.pid}`;
  const prefix = `${basename(ledger)}.in-`;
  const others = new Set<number>();
  let lost = !lock.held();
  if (!lost) {
    writeFileSync(mine, "");
    const until = Date.now() + holdMs;
    while (Date.now() < until) {
      if (!lock.held()) lost = true;
      for (const name of readdirSync(dirname(ledger))) {
        if (name.startsWith(prefix) && name !== basename(mine)) others.add(Number(name.slice(prefix.length)));
      }
      await sleep(1);
    }
    if (!lock.held()) lost = true;
    rmSync(mine, { force: true });
  }
  await lock.release();
  process.stdout.write(`${JSON.stringify({ pid: process.pid, lost, others: [...others] })}\n`);
});
