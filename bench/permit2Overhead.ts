import { spawn } from "node:child_process";
import { join } from "node:path";
import { formatUsd, parseUsd } from "../src/money.js";
import { NETWORK_V2, PERMIT2_EXACT_PRICE, UPTO_DEFAULT_ACTUAL, UPTO_MAX_ATOMIC, type Rig, type RigWallet } from "../test/rig/index.js";
import { processCpuMs } from "./cpuTime.js";
import { PAID_PRICE_ATOMIC, benchConfig, cpuProfileArgs, envInt, paidReceipt, startOfficialClientProcess, startServer, tempDir, type BenchSession } from "./harness.js";
import { latencyRow, rotation, timed, type Row, type ScenarioResult } from "./stats.js";

const WARMUP = 3;
const MAX_SECONDS = 600;
const TARGET_RATIO = 1.1;
/** The plain token's value in the wallet's config: 10^16 of 18 decimals is then $0.01. */
const PLAIN_USD_PER_UNIT = "1";
const PLAIN_PRICE_USD_MICROS = 10_000n;

interface Route {
  scenario: string;
  kind: "exact" | "upto" | "eip3009";
  /** What one paid call takes on-chain, in the route's token (atomic). */
  taken: bigint;
  target?: number;
}

const ROUTES: Route[] = [
  { scenario: "permit2 exact paid call", kind: "exact", taken: PERMIT2_EXACT_PRICE, target: TARGET_RATIO },
  { scenario: "upto paid call", kind: "upto", taken: UPTO_DEFAULT_ACTUAL, target: TARGET_RATIO },
  // The EIP-3009 route of paidCallOverhead, same run: what is not Permit2's (the MCP hop, the ledger, the receipt read).
  { scenario: "control: EIP-3009 exact paid call", kind: "eip3009", taken: PAID_PRICE_ATOMIC },
];

/**
 * `paid_fetch` of the rig's two Permit2 routes (issue 16) through the MCP SDK Client over
 * stdio vs the official @x402/fetch client, wired with @x402/evm's exact and upto schemes,
 * paying the same routes in a process of its own and timed inside it (as the baseline of
 * paidCallOverhead). The EIP-3009 route of paidCallOverhead runs beside them as a control:
 * what it costs us is not Permit2's. Our server runs twice, with the on-chain receipt check
 * and without it, so the check's share of the difference shows. Every call has its own URL (`?i=n`; the
 * upto route then settles its default actual amount): the pay-once cache would answer
 * repeats without paying. After the run, each wallet's balance of each token and our
 * servers' day totals are checked against the number of calls.
 */
export async function permit2Overhead(rig: Rig): Promise<ScenarioResult> {
  const p2 = rig.permit2;
  if (!p2) throw new Error("bench: permit2Overhead needs the rig started with permit2: true");
  const n = envInt("BENCH_N", 60);
  const calls = BigInt(n + WARMUP + 10);
  const fund = async () => {
    const wallet = await rig.newWallet((UPTO_MAX_ATOMIC + PAID_PRICE_ATOMIC) * calls);
    await p2.mintToken(wallet.address, PERMIT2_EXACT_PRICE * calls);
    // The one-time approvals an owner makes (`permit2 approve`), for both tokens.
    await p2.approvePermit2(wallet, p2.token);
    await p2.approvePermit2(wallet, rig.usdc);
    return { wallet, usdc: await rig.balanceOf(wallet.address), plain: await p2.balanceOf(wallet.address) };
  };
  const wallets = { verify: await fund(), noVerify: await fund(), official: await fund() };

  const config = (verifySettlement: boolean) =>
    benchConfig(rig, join(tempDir("p2"), "ledger.jsonl"), {
      verifySettlement,
      assets: [{ network: NETWORK_V2, address: p2.token, symbol: "PLAIN", decimals: 18, usdPerUnit: PLAIN_USD_PER_UNIT }],
    });
  const ours = await startServer({ config: config(true), privateKey: wallets.verify.wallet.privateKey, nodeArgs: cpuProfileArgs(true) });
  const oursNoVerify = await startServer({ config: config(false), privateKey: wallets.noVerify.wallet.privateKey });
  const official = await startOfficialClientProcess(wallets.official.wallet, { network: NETWORK_V2, asset: p2.token });

  let counter = 0;
  const urls = { exact: p2.urls.exact, upto: p2.urls.upto, eip3009: `${rig.v2.url}/paid` };
  const url = (route: Route) => `${urls[route.kind]}?i=${counter++}`;
  const statuses = new Map<string, number>();
  const paidBy = (server: BenchSession, label: string, route: Route) => async () => {
    const receipt = paidReceipt(await server.call("paid_fetch", { url: url(route) }));
    if (BigInt(receipt.amountAtomic) !== route.taken) throw new Error(`bench: ${label} on ${route.kind}: the receipt says ${receipt.amountAtomic} taken, expected ${route.taken}`);
    const key = `${label}, ${route.kind}: ${receipt.status}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
  };
  // `pid` is the process that pays, whose CPU time per call is summed beside the latency.
  const variants = ROUTES.flatMap((route) => [
    { route, name: "official @x402/fetch, own process", pid: official.pid, run: () => official.paidGet(url(route)), samples: [] as number[], cpuMs: 0 },
    { route, name: "ours, verifySettlement on", pid: ours.pid, run: paidBy(ours, "verify on", route), samples: [] as number[], cpuMs: 0 },
    { route, name: "ours, verifySettlement off", pid: oursNoVerify.pid, run: paidBy(oursNoVerify, "verify off", route), samples: [] as number[], cpuMs: 0 },
  ]);
  // Scale for the allowance pre-check our wallet reads before it signs (the official client
  // reads nothing), and the machine's speed during the run (the machine is shared).
  const allowanceReads: number[] = [];
  const nodeExits: number[] = [];

  const notes: string[] = [];
  let spent: { verify: string; noVerify: string };
  try {
    for (let i = 0; i < WARMUP; i++) for (const v of variants) await v.run();
    const deadline = Date.now() + MAX_SECONDS * 1000;
    for (let round = 0; round < n && Date.now() < deadline; round++) {
      for (const v of rotation(variants, round)) {
        const cpu = processCpuMs(v.pid);
        v.samples.push(await timed(v.run));
        v.cpuMs += processCpuMs(v.pid) - cpu;
      }
      allowanceReads.push(await timed(async () => void (await p2.allowance(wallets.verify.wallet.address, p2.token))));
      if (round % 4 === 0) nodeExits.push(await timed(nodeExit));
    }
    spent = { verify: await daySpent(ours, rig), noVerify: await daySpent(oursNoVerify, rig) };
  } finally {
    await Promise.all([ours.close(), oursNoVerify.close(), official.close()]);
  }

  // Every call paid: the chain moved exactly what each route takes per call, for each wallet and token.
  const made = BigInt(WARMUP + variants[0]!.samples.length);
  for (const [label, w] of Object.entries(wallets) as [string, { wallet: RigWallet; usdc: bigint; plain: bigint }][]) {
    const plain = w.plain - (await p2.balanceOf(w.wallet.address));
    const usdc = w.usdc - (await rig.balanceOf(w.wallet.address));
    const usdcExpected = (UPTO_DEFAULT_ACTUAL + PAID_PRICE_ATOMIC) * made;
    if (plain !== PERMIT2_EXACT_PRICE * made || usdc !== usdcExpected) {
      throw new Error(`bench: ${label} paid ${plain} PLAIN and ${usdc} USDC atomic on-chain for ${made} calls of each route; expected ${PERMIT2_EXACT_PRICE * made} and ${usdcExpected}`);
    }
  }
  // The budget: with the check, each upto call counts what the chain shows taken; without it, its maximum stays counted.
  const expected = {
    verify: formatUsd((PLAIN_PRICE_USD_MICROS + UPTO_DEFAULT_ACTUAL + PAID_PRICE_ATOMIC) * made),
    noVerify: formatUsd((PLAIN_PRICE_USD_MICROS + UPTO_MAX_ATOMIC + PAID_PRICE_ATOMIC) * made),
  };
  if (parseUsd(spent.verify) !== parseUsd(expected.verify) || parseUsd(spent.noVerify) !== parseUsd(expected.noVerify)) {
    throw new Error(`bench: day totals verify on $${spent.verify}, off $${spent.noVerify}; expected $${expected.verify} and $${expected.noVerify}`);
  }
  notes.push(
    `Permit2 and upto: every one of the ${made} calls per variant and route (incl. ${WARMUP} warm-up) paid on-chain (balances checked for each wallet): ` +
      `exact took ${PERMIT2_EXACT_PRICE} atomic of the plain 18-decimal token (0.01), upto ${UPTO_DEFAULT_ACTUAL} atomic USDC of the ${UPTO_MAX_ATOMIC} signed, the EIP-3009 control ${PAID_PRICE_ATOMIC} atomic USDC. ` +
      `Our day totals: $${spent.verify} with the receipt check (upto counted at what was taken), $${spent.noVerify} without it (upto's maximum stays counted until its deadline), both as expected. ` +
      `Receipt statuses: ${[...statuses].map(([k, v]) => `${k} ×${v}`).join("; ")}.`,
  );
  // Clock ticks of 10 ms, summed over every call: a mean that the machine's load barely moves, unlike latency.
  notes.push(
    `Permit2 and upto, CPU time per paid call of the process that pays (our MCP server, not counting the agent's MCP client, or the official client's process; mean over the timed calls, from /proc ticks): ` +
      ROUTES.map((route) => `${route.scenario}: ${variants.filter((v) => v.route === route).map((v) => `${v.name} ${(v.cpuMs / v.samples.length).toFixed(1)} ms`).join(", ")}`).join("; ") +
      ".",
  );
  if (process.env.BENCH_CPU_PROF) notes.push(`CPU profile of the verifying server written to ${process.env.BENCH_CPU_PROF} (its latencies include the profiler's cost).`);

  const rows: Row[] = [];
  for (const route of ROUTES) {
    const [base, verify, noVerify] = variants.filter((v) => v.route === route);
    const b = { variant: base!.name, samples: base!.samples };
    rows.push(
      latencyRow(route.scenario, base!.name, base!.samples, { note: "baseline: probe, sign, paid retry, timed in the client's process" }),
      latencyRow(route.scenario, verify!.name, verify!.samples, {
        base: b,
        ...(route.target ? { target: { ratio: route.target } } : {}),
        note: route.kind === "eip3009" ? "MCP stdio round trip and on-chain receipt check included" : "MCP stdio round trip, allowance pre-check and on-chain receipt check included",
      }),
      latencyRow(route.scenario, noVerify!.name, noVerify!.samples, { base: b, note: "reference: without the receipt check" }),
    );
  }
  rows.push(latencyRow("permit2 exact paid call", "one allowance read (eth_call), from the bench process", allowanceReads, { note: "reference: the scale of our pre-check" }));
  rows.push(latencyRow("permit2 exact paid call", "node -e 0 (spawn to exit)", nodeExits, { note: "reference: the machine's speed during the run" }));
  return { rows, notes };
}

/** `node -e 0` from spawn to exit. */
function nodeExit(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`bench: node -e 0 exited ${code}`))));
  });
}

/** The server's day total in USD, as quote_price of a free URL reports it (no payment made). */
async function daySpent(server: BenchSession, rig: Rig): Promise<string> {
  const out = (await server.call("quote_price", { url: `${rig.v2.url}/free` })).structuredContent as { budget?: { day?: { spent?: string } } } | undefined;
  const spent = out?.budget?.day?.spent;
  if (spent === undefined) throw new Error("bench: quote_price reported no day total");
  return spent;
}
