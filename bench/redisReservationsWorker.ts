import { RedisBudgetStore } from "../src/budget/redisStore.js";
import type { BudgetLimits, PaymentOutcome, Reservation, ReserveRequest } from "../src/budget/types.js";

/**
 * One "server process" of the redisReservations benchmark, forked by it (node --import tsx):
 * opens the wallet's RedisBudgetStore as a server does, then on each `run` message keeps
 * `inflight` reservation cycles going until the deadline and reports counts, the latency of
 * every reserve() (the cap check) and its own CPU time.
 */

export type Cycle = "reserve+release" | "reserve+recordSigned+commit";

export type ToWorker =
  | { type: "run"; startAt: number; until: number; inflight: number; cycle: Cycle }
  | { type: "stop" };

export type FromWorker =
  | { type: "ready" }
  | { type: "done"; cycles: number; errors: string[]; reserveMs: number[]; cycleMs: number[]; startedAt: number; endedAt: number; cpuMs: number };

export interface WorkerArgs {
  url: string;
  prefix: string;
  /** The wallet whose budget each cycle draws on (two, so the permanent spends of one never weigh on the other). */
  wallets: Record<Cycle, string>;
  session: string;
}

/** The caps a fleet server would pass: an agent with its own daily cap, none of them binding here. */
const LIMITS: BudgetLimits = {
  perCall: 1_000_000n,
  perSession: 1_000_000_000_000n,
  perDay: 1_000_000_000_000n,
  hosts: [],
  agent: { name: "bench", perDay: 1_000_000_000_000n },
};
const PRICE = 10_000n; // 0.01 USD, as the rig's /paid

function send(message: FromWorker): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? "{}") as WorkerArgs;
  const open = (wallet: string) =>
    RedisBudgetStore.open({
      url: args.url,
      prefix: args.prefix,
      wallet,
      leaseMs: 60_000,
      timeoutMs: 5_000,
      logger: { log: (level, message) => process.stderr.write(`worker ${args.session} ${level}: ${message}\n`) },
    });
  const stores: Record<Cycle, RedisBudgetStore> = {
    "reserve+release": await open(args.wallets["reserve+release"]),
    "reserve+recordSigned+commit": await open(args.wallets["reserve+recordSigned+commit"]),
  };
  const request: ReserveRequest = {
    sessionId: args.session,
    usdMicros: PRICE,
    limits: LIMITS,
    meta: { agent: "bench", url: "http://127.0.0.1/paid", host: "127.0.0.1", network: "eip155:84532", asset: "0x036CbD53842c5426634e7929541eC2318f3dCF7e", amountAtomic: PRICE, payTo: "0x0000000000000000000000000000000000000001" },
  };
  const outcome = (r: Reservation): PaymentOutcome => ({
    status: "settled",
    receipt: {
      status: "settled",
      amount: "0.01",
      amountAtomic: PRICE.toString(),
      asset: request.meta.asset,
      symbol: "USDC",
      network: request.meta.network,
      payTo: request.meta.payTo,
      payer: "0x0000000000000000000000000000000000000002",
      transaction: `0x${r.id.replace(/-/g, "").padEnd(64, "0")}`,
      explorerUrl: null,
      scheme: "exact",
      x402Version: 2,
      resource: request.meta.url,
      paidAt: new Date().toISOString(),
    },
  });

  async function run(message: Extract<ToWorker, { type: "run" }>): Promise<void> {
    const reserveMs: number[] = [];
    const cycleMs: number[] = [];
    const errors: string[] = [];
    let cycles = 0;
    const store = stores[message.cycle];
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, message.startAt - Date.now())));
    const cpu0 = process.cpuUsage();
    const startedAt = Date.now();
    await Promise.all(
      Array.from({ length: message.inflight }, async () => {
        while (Date.now() < message.until) {
          const t0 = performance.now();
          try {
            const reservation = await store.reserve(request);
            const t1 = performance.now();
            if (message.cycle === "reserve+release") {
              await store.release(reservation);
            } else {
              await store.recordSigned(reservation, { payer: "0x0000000000000000000000000000000000000002", validBefore: Math.floor(Date.now() / 1000) + 600, nonce: "0x01" });
              await store.commit(reservation, outcome(reservation));
            }
            reserveMs.push(t1 - t0);
            cycleMs.push(performance.now() - t0);
            cycles++;
          } catch (error) {
            if (errors.length < 5) errors.push((error as Error).message);
            else errors.push("");
          }
        }
      }),
    );
    const endedAt = Date.now();
    const cpu = process.cpuUsage(cpu0);
    send({ type: "done", cycles, errors, reserveMs, cycleMs, startedAt, endedAt, cpuMs: (cpu.user + cpu.system) / 1000 });
  }

  process.on("message", (message: ToWorker) => {
    if (message.type === "run") {
      run(message).catch((error: unknown) => {
        process.stderr.write(`worker ${args.session}: ${(error as Error).stack ?? String(error)}\n`);
        process.exit(1);
      });
    } else if (message.type === "stop") {
      void Promise.all(Object.values(stores).map((s) => s.close())).finally(() => process.exit(0));
    }
  });
  send({ type: "ready" });
}

main().catch((error: unknown) => {
  process.stderr.write(`redisReservationsWorker: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
