import type { Rig, RigWallet } from "../test/rig/index.js";
import {
  BEFORE_ENTRY,
  beforeLabel,
  PAID_PRICE_ATOMIC,
  assertQueryStillCharged,
  benchConfig,
  cpuProfileArgs,
  envInt,
  officialFetch,
  officialPaidGet,
  paidReceipt,
  startOfficialClientProcess,
  startServer,
  tempDir,
} from "./harness.js";
import { latencyRow, rotation, timed, type ScenarioResult } from "./stats.js";
import { join } from "node:path";

const NAME = "paid call overhead";
const WARMUP = 3;
const MAX_SECONDS = 600;

/**
 * `paid_fetch` through the MCP SDK Client over stdio vs the official @x402/fetch client
 * paying the same endpoint directly. Every call uses a distinct URL (`?i=n`): the server's
 * pay-once cache would otherwise answer repeats without paying. The baseline is the
 * official client in a process of its own, timed inside it (an agent is never the x402
 * server's own process); the same client inside the rig's process is reported beside it.
 * BENCH_CPU_PROF=<dir> profiles the verifying server.
 */
export async function paidCallOverhead(rig: Rig): Promise<ScenarioResult> {
  const n = envInt("BENCH_N", 60);
  await assertQueryStillCharged(rig);
  const funding = PAID_PRICE_ATOMIC * BigInt(n + WARMUP + 10);
  const [wOurs, wOursNoVerify, wOfficial, wOfficialOwn] = await Promise.all([
    rig.newWallet(funding),
    rig.newWallet(funding),
    rig.newWallet(funding),
    rig.newWallet(funding),
  ]);
  const ours = await startServer({
    config: benchConfig(rig, join(tempDir("s1"), "ledger.jsonl"), { verifySettlement: true }),
    privateKey: wOurs!.privateKey,
    nodeArgs: cpuProfileArgs(true),
  });
  const oursNoVerify = await startServer({
    config: benchConfig(rig, join(tempDir("s1"), "ledger.jsonl"), { verifySettlement: false }),
    privateKey: wOursNoVerify!.privateKey,
  });
  const official = officialFetch(wOfficial!);
  const officialOwn = await startOfficialClientProcess(wOfficialOwn!);
  // A build of an earlier revision, alternated with this one (BENCH_BEFORE_ENTRY).
  const wBefore = BEFORE_ENTRY ? await rig.newWallet(funding) : undefined;
  const before = wBefore
    ? await startServer({
        config: benchConfig(rig, join(tempDir("s1"), "ledger.jsonl"), { verifySettlement: true }),
        privateKey: wBefore.privateKey,
        entry: BEFORE_ENTRY,
      })
    : undefined;

  let counter = 0;
  const url = () => `${rig.v2.url}/paid?i=${counter++}`;
  const statuses = { verify: new Map<string, number>(), noVerify: new Map<string, number>() };
  const count = (m: Map<string, number>, s: string) => m.set(s, (m.get(s) ?? 0) + 1);
  // A variant that returns a number timed itself (the official client in its own process).
  const variants: { name: string; run: () => Promise<number | void>; samples: number[] }[] = [
    { name: "official @x402/fetch, own process", run: () => officialOwn.paidGet(url()), samples: [] as number[] },
    { name: "official @x402/fetch, in the rig's process", run: () => officialPaidGet(official, url()), samples: [] as number[] },
    {
      name: "ours, verifySettlement on",
      run: async () => void count(statuses.verify, paidReceipt(await ours.call("paid_fetch", { url: url() })).status),
      samples: [] as number[],
    },
    {
      name: "ours, verifySettlement off",
      run: async () => void count(statuses.noVerify, paidReceipt(await oursNoVerify.call("paid_fetch", { url: url() })).status),
      samples: [] as number[],
    },
    ...(before
      ? [
          {
            name: `${beforeLabel()}, verifySettlement on`,
            run: async () => void paidReceipt(await before.call("paid_fetch", { url: url() })),
            samples: [] as number[],
          },
        ]
      : []),
  ];

  const notes: string[] = [];
  // The floor under any tool call: one JSON-RPC round trip over stdio that does no work.
  const hop: number[] = [];
  try {
    for (let i = 0; i < WARMUP; i++) for (const v of variants) await v.run();
    const deadline = Date.now() + MAX_SECONDS * 1000;
    for (let round = 0; round < n && Date.now() < deadline; round++) {
      for (const v of rotation(variants, round)) {
        v.samples.push(await timed(v.run));
      }
      hop.push(await timed(async () => void (await ours.client.ping())));
    }
  } finally {
    await Promise.all([ours.close(), oursNoVerify.close(), before?.close(), officialOwn.close()]);
  }

  // Every call paid: the chain moved exactly one price per call, for each wallet.
  const calls = WARMUP + variants[0]!.samples.length;
  const wallets: [string, RigWallet][] = [
    ["ours (verify)", wOurs!],
    ["ours (no verify)", wOursNoVerify!],
    ["official", wOfficial!],
    ["official (own process)", wOfficialOwn!],
  ];
  if (wBefore) wallets.push(["before", wBefore]);
  for (const [label, wallet] of wallets) {
    const paid = funding - (await rig.balanceOf(wallet.address));
    const expected = PAID_PRICE_ATOMIC * BigInt(calls);
    if (paid !== expected) throw new Error(`bench: ${label} paid ${paid} atomic on-chain for ${calls} calls; expected ${expected}`);
  }
  notes.push(
    `Paid call overhead: every one of the ${calls} calls per variant (incl. ${WARMUP} warm-up) paid 0.01 USDC on-chain (balances checked). ` +
      `Receipt statuses, verify on: ${fmtCounts(statuses.verify)}; verify off: ${fmtCounts(statuses.noVerify)}.`,
  );
  if (process.env.BENCH_CPU_PROF) notes.push(`CPU profile of the verifying server written to ${process.env.BENCH_CPU_PROF} (its latencies include the profiler's cost).`);

  const base = { variant: variants[0]!.name, samples: variants[0]!.samples };
  return {
    rows: [
      latencyRow(NAME, variants[0]!.name, variants[0]!.samples, { note: "baseline: probe, sign, paid retry, timed in the client's process" }),
      latencyRow(NAME, variants[1]!.name, variants[1]!.samples, { base, note: "reference: the rig's server answers on the client's own event loop" }),
      latencyRow(NAME, variants[2]!.name, variants[2]!.samples, { base, target: { ratio: 1.05 }, note: "MCP stdio round trip included" }),
      latencyRow(NAME, variants[3]!.name, variants[3]!.samples, { base, target: { ratio: 1.05 } }),
      latencyRow(NAME, "MCP ping round trip to ours", hop, { base, note: "reference: the stdio hop every tool call pays, with no work behind it" }),
      ...variants.slice(4).map((v) => latencyRow(NAME, v.name, v.samples, { base, note: "the same server built from an earlier revision" })),
    ],
    notes,
  };
}

function fmtCounts(m: Map<string, number>): string {
  return [...m].map(([k, v]) => `${k} ×${v}`).join(", ") || "none";
}
