import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { FileBudgetStore } from "../../src/budget/fileStore.js";
import type { HistoryQuery, Spending } from "../../src/budget/types.js";
import type { Logger } from "../../src/log.js";
import { T0, fullFold, random, randomLines, randomQuery } from "./randomLedger.js";

const quiet: Logger = { log() {} };
const WORKER = resolve(import.meta.dirname, "spendingWorker.ts");

/** A paying process on the ledger (spendingWorker.ts): done once its payments are made, then it answers queries. */
class Payer {
  readonly child: ChildProcess;
  readonly done: Promise<void>;
  readonly exited: Promise<void>;
  private readonly answers: ((line: string) => void)[] = [];

  constructor(ledger: string, seed: number, payments: number, clockStart: number) {
    this.child = spawn(process.execPath, ["--import", "tsx", WORKER, ledger, String(seed), String(payments), String(clockStart)], { stdio: ["pipe", "pipe", "inherit"] });
    let onDone: () => void;
    let onFailed: (error: Error) => void;
    this.done = new Promise((resolve, reject) => ((onDone = resolve), (onFailed = reject)));
    this.exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
    this.child.once("exit", (code) => onFailed(new Error(`payer ${seed} exited (${code}) before it was done`)));
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      const message = JSON.parse(line) as { done?: boolean; failed?: string };
      if (message.failed) onFailed(new Error(`payer ${seed}: ${message.failed}`));
      else if (message.done) onDone();
      else this.answers.shift()?.(line);
    });
  }

  /** Its spending for `query`, as JSON with bigints as "123n". */
  ask(query: HistoryQuery): Promise<unknown> {
    return new Promise((resolve) => {
      this.answers.push((line) => resolve((JSON.parse(line) as { spending: unknown }).spending));
      this.child.stdin!.write(`${JSON.stringify(query)}\n`);
    });
  }

  async stop(): Promise<void> {
    this.child.stdin!.end();
    await Promise.race([this.exited, sleep(10_000).then(() => this.child.kill("SIGKILL"))]);
  }
}

/** As the payers send it: bigints as "123n". */
function asJson(spending: Spending): unknown {
  return JSON.parse(JSON.stringify(spending, (_key, value: unknown) => (typeof value === "bigint" ? `${value}n` : value)));
}

function ledgerPath(): string {
  return join(mkdtempSync(join(tmpdir(), "x402-totals-")), "ledger.jsonl");
}

/** The last query asked: asked again after the next append, as a caller polling the same period does. */
let previous: HistoryQuery | undefined;

async function expectSame(store: FileBudgetStore, path: string, rand: () => number, seed: number, step: string): Promise<void> {
  for (let q = 0; q < 4; q++) {
    const query = q === 0 && previous ? previous : randomQuery(rand, T0, 48);
    previous = query;
    const fast = await store.spending(query);
    expect(fast, `seed ${seed}, ${step}, query ${JSON.stringify({ ...query, sinceMs: String(query.sinceMs) })}`).toEqual(fullFold(path, query));
  }
}

describe("spending totals kept beside the file ledger", () => {
  it("equal a full fold of random ledgers, built at once, caught up line by line, and read back from the totals file", async () => {
    const SEEDS = Number(process.env.SPENDING_SEEDS ?? 100);
    let readBack = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rand = random(seed);
      const path = ledgerPath();
      const ids: string[] = [];
      // Every third ledger is in time order, as one clock writes it: the index then finds an hour by binary search.
      const clock = seed % 3 === 0 ? { now: T0 } : undefined;
      writeFileSync(path, randomLines(rand, Math.floor(rand() * 400), ids, clock).join(""));
      let store = await FileBudgetStore.open(path, quiet);
      await expectSame(store, path, rand, seed, "built from the ledger");
      for (let round = 0; round < 4; round++) {
        // Appended in bursts, sometimes ending mid-line (a writer's line not finished yet).
        const more = randomLines(rand, Math.floor(rand() * 150), ids, clock);
        const text = more.join("");
        const cut = rand() < 0.3 ? Math.floor(rand() * text.length) : text.length;
        appendFileSync(path, text.slice(0, cut));
        await expectSame(store, path, rand, seed, `after append ${round}`);
        appendFileSync(path, text.slice(cut));
        if (rand() < 0.5) {
          // A new process: it reads the totals file (when one was written) and catches up from there.
          await store.close();
          if (existsSync(`${path}.totals`)) readBack++;
          store = await FileBudgetStore.open(path, quiet);
        }
        await expectSame(store, path, rand, seed, `after append ${round}, whole`);
      }
      await store.close();
    }
    // The totals file is written once the ledger outgrows it by 64 KiB: most seeds get that far.
    expect(readBack).toBeGreaterThan(SEEDS / 4);
  }, 300_000);

  it("equal a full fold when processes pay on one ledger at once: in each of them, in a reader that caught up meanwhile, and in a new one", async () => {
    for (let round = 1; round <= 3; round++) {
      const path = ledgerPath();
      const rand = random(1000 + round);
      const clockStart = Date.now();
      const payers = [0, 1, 2].map((i) => new Payer(path, round * 10 + i, 40, clockStart));
      try {
        const reader = await FileBudgetStore.open(path, quiet);
        let finished = false;
        const allDone = Promise.all(payers.map((p) => p.done)).finally(() => (finished = true));
        // Catching up while they append, lines of three writers interleaved.
        while (!finished) {
          await reader.spending(randomQuery(rand, T0, 6));
          await Promise.race([allDone.catch(() => undefined), sleep(15)]);
        }
        await allDone;
        const fresh = await FileBudgetStore.open(path, quiet);
        for (let q = 0; q < 12; q++) {
          // At a payment's time, give or take 1 ms, so it cuts an hour where payments are; finite, as it crosses to the payers as JSON.
          const times = readFileSync(path, "utf8").split("\n").filter(Boolean).map((line) => (JSON.parse(line) as { at: number }).at);
          const query = { ...randomQuery(rand, T0, 6), sinceMs: rand() < 0.2 ? 0 : times[Math.floor(rand() * times.length)]! + Math.floor(rand() * 3) - 1 };
          const expected = asJson(fullFold(path, query));
          const where = `round ${round}, query ${JSON.stringify(query)}`;
          expect(asJson(await reader.spending(query)), `${where}, the reader`).toEqual(expected);
          expect(asJson(await fresh.spending(query)), `${where}, a new store`).toEqual(expected);
          for (const [i, payer] of payers.entries()) expect(await payer.ask(query), `${where}, payer ${i}`).toEqual(expected);
        }
        await reader.close();
        await fresh.close();
      } finally {
        await Promise.all(payers.map((p) => p.stop()));
      }
    }
  }, 240_000);
});
