/**
 * A server process's side of the file ledger, for test/budget/ledgerRace.test.ts: it reads
 * one JSON command per line on stdin and answers each with one JSON line on stdout.
 *
 *   {"n":1,"cmd":"open","ledger":"/tmp/…/ledger.jsonl"}
 *   {"n":2,"cmd":"reserve","usdMicros":"100000","perDay":"200000","pause":true}
 *   {"n":3,"cmd":"usage"}
 *
 * With "at" (epoch ms), the reservation starts at that moment, spinning until then so that
 * processes given the same moment start within microseconds of each other.
 * With "pause", the reservation stops its own process (SIGSTOP) at its first clock read,
 * which comes after the store caught up on the ledger under the lock and before it writes:
 * a holder paused there, as a main thread blocked by a slow HTML conversion would be.
 * It prints {"paused":true} just before stopping (stdout to a pipe is synchronous on Linux).
 */
import { createInterface } from "node:readline";
import { FileBudgetStore } from "../../src/budget/fileStore.js";
import type { ReserveRequest } from "../../src/budget/types.js";

interface Command {
  n: number;
  cmd: "open" | "reserve" | "usage";
  ledger?: string;
  usdMicros?: string;
  perDay?: string;
  pause?: boolean;
  at?: number;
}

const logged: string[] = [];
let pauseAtNextClockRead = false;
let store: FileBudgetStore | undefined;

function answer(message: object): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function now(): number {
  if (pauseAtNextClockRead) {
    pauseAtNextClockRead = false;
    answer({ paused: true });
    process.kill(process.pid, "SIGSTOP");
  }
  return Date.now();
}

function request(usdMicros: bigint, perDay: bigint): ReserveRequest {
  return {
    sessionId: `pid-${process.pid}`,
    usdMicros,
    limits: { perCall: usdMicros, perSession: perDay, perDay, hosts: [] },
    meta: { url: "http://api.test/x", host: "api.test", network: "eip155:84532", asset: "0xA", amountAtomic: usdMicros, payTo: "0xB" },
  };
}

async function run(command: Command): Promise<object> {
  if (command.cmd === "open") {
    await store?.close();
    store = await FileBudgetStore.open(command.ledger!, { log: (level, message) => logged.push(`${level}: ${message}`) }, now);
    return { opened: true };
  }
  if (!store) throw new Error("no ledger open");
  if (command.cmd === "usage") return { day: (await store.usage({ sessionId: "none", hostPatterns: [] })).day.toString() };
  pauseAtNextClockRead = command.pause === true;
  while (command.at !== undefined && Date.now() < command.at);
  try {
    const reservation = await store.reserve(request(BigInt(command.usdMicros!), BigInt(command.perDay!)));
    return { ok: true, id: reservation.id };
  } catch (error) {
    return { ok: false, code: (error as { code?: string }).code, message: (error as Error).message };
  }
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const command = JSON.parse(line) as Command;
  run(command).then(
    (result) => answer({ n: command.n, ...result, log: logged.splice(0) }),
    (error: Error) => answer({ n: command.n, failed: error.message, log: logged.splice(0) }),
  );
});
