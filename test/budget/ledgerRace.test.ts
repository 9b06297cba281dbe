import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { STALE_LOCK_MS } from "../../src/budget/ledgerLock.js";

const WORKER = resolve(import.meta.dirname, "ledgerWorker.ts");
const TENTH = "100000";

interface Reply {
  n: number;
  ok?: boolean;
  code?: string;
  day?: string;
  failed?: string;
  log: string[];
}

/** A server process on the ledger (test/budget/ledgerWorker.ts), driven one command at a time. */
class Worker {
  readonly child: ChildProcess;
  /** Resolves when the worker has stopped itself mid-reservation, holding the lock. */
  readonly stopped: Promise<void>;
  readonly exited: Promise<void>;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();

  constructor() {
    this.child = spawn(process.execPath, ["--import", "tsx", WORKER], { stdio: ["pipe", "pipe", "inherit"] });
    let onStopped: () => void;
    this.stopped = new Promise((resolve) => (onStopped = resolve));
    this.exited = new Promise((resolve) =>
      this.child.once("exit", () => {
        for (const { reject } of this.waiting.values()) reject(new Error("worker exited"));
        resolve();
      }),
    );
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      const message = JSON.parse(line) as Reply & { paused?: boolean };
      if (message.paused) return onStopped();
      this.waiting.get(message.n)?.resolve(message);
      this.waiting.delete(message.n);
    });
  }

  send(command: object): Promise<Reply> {
    const n = this.next++;
    const reply = new Promise<Reply>((resolve, reject) => {
      this.waiting.set(n, { resolve, reject });
      this.child.stdin!.write(`${JSON.stringify({ n, ...command })}\n`);
    });
    // A worker killed while a command is out (the test's own kill, or cleanup after a failure) is no error of its own.
    reply.catch(() => undefined);
    return reply;
  }

  signal(signal: NodeJS.Signals): void {
    process.kill(this.child.pid!, signal);
  }
}

const workers: Worker[] = [];
function start(count: number): Worker[] {
  const started = Array.from({ length: count }, () => new Worker());
  workers.push(...started);
  return started;
}

afterEach(async () => {
  for (const worker of workers.splice(0)) {
    worker.child.kill("SIGKILL");
    await worker.exited;
  }
});

function ledgerPath(): string {
  return join(mkdtempSync(join(tmpdir(), "x402-race-")), "ledger.jsonl");
}

/** What the ledger holds reserved (reservations not released), read from the file itself; every line must parse. */
function reservedIn(path: string): bigint {
  const reserved = new Map<string, bigint>();
  for (const line of readFileSync(path, "utf8").split("\n").filter(Boolean)) {
    const event = JSON.parse(line) as { type: string; id: string; usdMicros?: string };
    if (event.type === "reserve") reserved.set(event.id, BigInt(event.usdMicros!));
    if (event.type === "release") reserved.delete(event.id);
  }
  return [...reserved.values()].reduce((a, b) => a + b, 0n);
}

describe("file ledger shared by real processes", () => {
  it("a holder paused past the stale age after reading the ledger loses the right to write, and leaves the next holder's lock alone", async () => {
    const ledger = ledgerPath();
    const [paused, second, third] = start(3) as [Worker, Worker, Worker];
    for (const worker of [paused, second, third]) await worker.send({ cmd: "open", ledger });

    // Caught up (nothing spent) under the lock, then stopped before writing its reservation.
    const late = paused.send({ cmd: "reserve", usdMicros: TENTH, perDay: "200000", pause: true });
    await paused.stopped;
    await sleep(STALE_LOCK_MS + 1_000);
    // Its lock is stale: the second takes it over and reserves; the third takes the lock and stops holding it.
    expect(await second.send({ cmd: "reserve", usdMicros: TENTH, perDay: "200000" })).toMatchObject({ ok: true });
    const thirds = third.send({ cmd: "reserve", usdMicros: TENTH, perDay: "200000", pause: true });
    await third.stopped;

    paused.signal("SIGCONT");
    let answered = false;
    const answer = () => (answered = true);
    void late.then(answer, answer);
    await sleep(1_000);
    // The woken holder neither wrote on its stale reading nor removed the third's lock: it waits for it.
    expect(answered).toBe(false);
    expect(existsSync(`${ledger}.lock`)).toBe(true);
    expect(reservedIn(ledger)).toBe(100_000n);

    third.signal("SIGCONT");
    expect(await thirds).toMatchObject({ ok: true });
    expect(await late).toMatchObject({ ok: false, code: "DAILY_BUDGET_EXCEEDED" });
    expect(reservedIn(ledger)).toBe(200_000n);
    for (const worker of [paused, second, third]) {
      const usage = await worker.send({ cmd: "usage" });
      expect(usage.day).toBe("200000");
    }
    // Given back after the operations it guarded have settled (the unlink runs in libuv's pool): soon, not at once.
    for (let waited = 0; existsSync(`${ledger}.lock`) && waited < 2_000; waited += 20) await sleep(20);
    expect(existsSync(`${ledger}.lock`)).toBe(false);
  }, 30_000);

  const TRIALS = 30;
  const RACERS = 4;
  const HALF = "50000";
  it(`a holder killed with the lock held, then ${RACERS} processes reserving at once: never past the cap, no line lost, ${TRIALS} times`, async () => {
    const racers = start(RACERS);
    let [holder] = start(1) as [Worker];
    const wrong: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const ledger = ledgerPath();
      await Promise.all([holder, ...racers].map((worker) => worker.send({ cmd: "open", ledger })));
      // The next trial's holder starts while this one runs (a process takes about a second to load).
      const [nextHolder] = start(1) as [Worker];
      // Half the cap spent (which the racers catch up on under the lock), then killed holding the lock.
      expect(await holder.send({ cmd: "reserve", usdMicros: HALF, perDay: TENTH })).toMatchObject({ ok: true });
      void holder.send({ cmd: "reserve", usdMicros: HALF, perDay: TENTH, pause: true });
      await holder.stopped;
      holder.signal("SIGKILL");
      await holder.exited;
      // Its lock stays; aged past the stale limit it is what waiting that long would leave.
      const lastRefresh = new Date(Date.now() - STALE_LOCK_MS - 1_000);
      utimesSync(`${ledger}.lock`, lastRefresh, lastRefresh);

      const at = Date.now() + 100;
      const replies = await Promise.all(racers.map((racer) => racer.send({ cmd: "reserve", usdMicros: HALF, perDay: TENTH, at })));
      const usages = await Promise.all(racers.map((racer) => racer.send({ cmd: "usage" })));
      const granted = replies.filter((reply) => reply.ok).length;
      const refusals = replies.filter((reply) => !reply.ok).map((reply) => reply.code);
      const reserved = reservedIn(ledger);
      const logs = [...replies, ...usages].flatMap((reply) => reply.log);
      const seen = usages.map((usage) => usage.day);
      if (granted !== 1 || reserved !== 100_000n || refusals.some((code) => code !== "DAILY_BUDGET_EXCEEDED") || seen.some((day) => day !== TENTH) || logs.length > 0) {
        wrong.push(`trial ${trial}: ${granted} granted, ${reserved} reserved, refusals ${refusals.join(",")}, usage seen ${seen.join(",")}; ${logs.join(" | ")}`);
      }
      holder = nextHolder;
    }
    expect(wrong).toEqual([]);
  }, 240_000);
});
