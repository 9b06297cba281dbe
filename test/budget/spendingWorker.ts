/**
 * A server process paying on a shared file ledger, for test/budget/spendingTotals.property.test.ts:
 * `tsx spendingWorker.ts <ledger> <seed> <payments> <clockStart>`. It makes random payments
 * through the store, several at once (reserve, then release, or sign and outcomes, a lower
 * `actual`, an expiry, or nothing more, as a process that stopped), asking for the spending
 * now and then (so it builds, catches up and writes the totals file while others append),
 * prints {"done":true}, then answers each query read on stdin with its spending as JSON.
 * Its clock runs 3 000 times faster from `clockStart`, so the payments span hours.
 */
import { createInterface } from "node:readline";
import { FileBudgetStore } from "../../src/budget/fileStore.js";
import type { HistoryQuery, Reservation } from "../../src/budget/types.js";
import { receipt } from "./storeContract.js";
import { random, randomQuery } from "./randomLedger.js";

const [ledger, seedText, paymentsText, clockStartText] = process.argv.slice(2);
const seed = Number(seedText);
const rand = random(seed);
const clockStart = Number(clockStartText);
const T0 = Date.UTC(2026, 11, 1);
const now = () => T0 + (Date.now() - clockStart) * 3000;
const HOSTS = ["api.test", "a.example.com", "b.example.com", "img.test"];
const AGENTS = [undefined, "alice", "bob"];
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const LOTS = 10n ** 15n;


async function pay(store: FileBudgetStore): Promise<void> {
  const host = pick(HOSTS);
  const usdMicros = BigInt(1 + Math.floor(rand() * 50_000));
  const reservation: Reservation = await store.reserve({
    sessionId: `w${seed}`,
    usdMicros,
    limits: { perCall: LOTS, perSession: LOTS, perDay: LOTS, hosts: [] },
    meta: { agent: pick(AGENTS), url: `https://${host}/x`, host, network: "eip155:84532", asset: "0xA", amountAtomic: usdMicros, payTo: "0xB" },
  });
  const r = rand();
  if (r < 0.25) return store.release(reservation);
  if (r < 0.3) return; // stopped before signing
  await store.recordSigned(reservation, { payer: "0xC", validBefore: 2_000_000_000, nonce: "0x01" });
  if (rand() < 0.1) return; // stopped after signing
  await store.commit(reservation, { status: pick(["settled", "unconfirmed", "verified"] as const), receipt: receipt("settled") });
  if (rand() < 0.3) await store.settleActual(reservation, usdMicros / 2n);
  if (rand() < 0.2) await store.commit(reservation, { status: "verified", receipt: receipt("verified") });
  if (rand() < 0.15) await store.expire(reservation.id, "expired unused");
  if (rand() < 0.1) await store.release(reservation); // ignored: it was signed
}

const replacer = (_key: string, value: unknown) => (typeof value === "bigint" ? `${value}n` : value);

async function main(): Promise<void> {
  const store = await FileBudgetStore.open(ledger!, { log() {} }, now);
  const payments = Number(paymentsText);
  for (let done = 0; done < payments; ) {
    const burst = Math.min(payments - done, 1 + Math.floor(rand() * 4));
    await Promise.all(Array.from({ length: burst }, () => pay(store)));
    done += burst;
    if (rand() < 0.2) await store.spending(randomQuery(rand, now(), 4));
  }
  process.stdout.write(`${JSON.stringify({ done: true })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    const query = JSON.parse(line) as HistoryQuery;
    process.stdout.write(`${JSON.stringify({ spending: await store.spending(query) }, replacer)}\n`);
  }
  await store.close();
}

main().catch((error: Error) => {
  process.stdout.write(`${JSON.stringify({ failed: error.stack })}\n`);
  process.exitCode = 1;
});
