import { join } from "node:path";
import { generatePrivateKey } from "viem/accounts";
import { parseUsd } from "../src/money.js";
import type { Rig } from "../test/rig/index.js";
import { startSolanaRig, type SolanaRig, type SolanaRigWallet } from "../test/rig/solana/index.js";
import { processCpuMs } from "./cpuTime.js";
import {
  INITIALIZE,
  INITIALIZED,
  PAID_PRICE_ATOMIC,
  SERVER_ENTRY,
  benchConfig,
  envInt,
  paidReceipt,
  spawnRaw,
  startClientWorker,
  startOfficialClientProcess,
  startServer,
  tempDir,
  writeConfigFile,
  type BenchSession,
} from "./harness.js";
import { latencyRow, nowMs, rotation, timed, type ScenarioResult } from "./stats.js";

const WARMUP = 3;
const MAX_SECONDS = 600;
const TARGET_RATIO = 1.1;
const DEVNET = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1";
const PAID = "solana paid call";
const COLD = "solana cold start";

/**
 * Issue 17's Solana row. A paid call of the Solana rig's GET route (0.01 devnet USDC, LiteSVM
 * behind its JSON-RPC, the official @x402/svm facilitator and @x402/express server) through
 * MCP against the official @x402/fetch client with @x402/svm's exact scheme paying the same
 * route in a process of its own, alternated in one run; our server with and without the
 * on-chain receipt check. Then the cold start with and without a Solana network enabled
 * (both with a Solana key), the family being meant to load only when one is. Balances and
 * the day totals are checked after the run. The EVM rig's EIP-3009 route is paid in the same
 * rounds as a control (ours and the official EVM client), so what is Solana's in the ratio
 * shows apart from what every paid call through MCP costs.
 */
export async function solanaOverhead(evmRig: Rig): Promise<ScenarioResult> {
  const n = envInt("BENCH_N", 60);
  const rig = await startSolanaRig();
  try {
    const paid = await paidCalls(rig, evmRig, n);
    const cold = await coldStarts(rig, envInt("BENCH_COLD_N", 20));
    return { rows: [...paid.rows, ...cold.rows], notes: [...paid.notes, ...cold.notes] };
  } finally {
    await rig.stop();
  }
}

async function paidCalls(rig: SolanaRig, evmRig: Rig, n: number): Promise<ScenarioResult> {
  const funded = PAID_PRICE_ATOMIC * BigInt(n + WARMUP + 10);
  const wallets = { verify: await rig.newWallet(funded), noVerify: await rig.newWallet(funded), official: await rig.newWallet(funded) };
  const config = (verifySettlement: boolean) => ({
    networks: [DEVNET],
    rpc: { [DEVNET]: rig.rpcUrl },
    hosts: { allowPrivate: true },
    budget: { perCall: "1", perSession: "100000", perDay: "100000" },
    ledger: join(tempDir("sol"), "ledger.jsonl"),
    verifySettlement,
  });
  const server = (verifySettlement: boolean, wallet: SolanaRigWallet) =>
    startServer({ config: config(verifySettlement), privateKey: "", env: { X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 } });
  const ours = await server(true, wallets.verify);
  const oursNoVerify = await server(false, wallets.noVerify);
  const official = await startClientWorker("officialSvmClientWorker.ts", {
    BENCH_OFFICIAL_SVM_KEY: wallets.official.secretKeyBase58,
    BENCH_OFFICIAL_SVM_RPC: rig.rpcUrl,
  });

  const evmWallets = { ours: await evmRig.newWallet(funded), official: await evmRig.newWallet(funded) };
  const evmOurs = await startServer({ config: benchConfig(evmRig, join(tempDir("solevm"), "ledger.jsonl")), privateKey: evmWallets.ours.privateKey });
  const evmOfficial = await startOfficialClientProcess(evmWallets.official);

  let counter = 0;
  // Each call its own URL: the pay-once cache would answer a repeat without paying.
  const url = () => `${rig.v2.url}/paid?i=${counter++}`;
  const evmUrl = () => `${evmRig.v2.url}/paid?i=${counter++}`;
  const statuses = new Map<string, number>();
  const paidBy = (session: BenchSession, label: string) => async () => {
    const receipt = paidReceipt(await session.call("paid_fetch", { url: url() }));
    if (BigInt(receipt.amountAtomic) !== PAID_PRICE_ATOMIC) throw new Error(`bench: ${label}: the receipt says ${receipt.amountAtomic} taken, expected ${PAID_PRICE_ATOMIC}`);
    statuses.set(`${label}: ${receipt.status}`, (statuses.get(`${label}: ${receipt.status}`) ?? 0) + 1);
  };
  const variants = [
    { name: "official @x402/fetch + @x402/svm, own process", pid: official.pid, run: () => official.paidGet(url()), samples: [] as number[], cpuMs: 0 },
    { name: "ours, verifySettlement on", pid: ours.pid, run: paidBy(ours, "verify on"), samples: [] as number[], cpuMs: 0 },
    { name: "ours, verifySettlement off", pid: oursNoVerify.pid, run: paidBy(oursNoVerify, "verify off"), samples: [] as number[], cpuMs: 0 },
    { name: "control, EVM EIP-3009: official @x402/fetch + @x402/evm", pid: evmOfficial.pid, run: () => evmOfficial.paidGet(evmUrl()), samples: [] as number[], cpuMs: 0 },
    {
      name: "control, EVM EIP-3009: ours, verifySettlement on",
      pid: evmOurs.pid,
      run: async () => void paidReceipt(await evmOurs.call("paid_fetch", { url: evmUrl() })),
      samples: [] as number[],
      cpuMs: 0,
    },
  ];
  const before = { verify: 0n, noVerify: 0n, official: 0n };
  for (const key of Object.keys(wallets) as (keyof typeof wallets)[]) before[key] = await rig.usdcBalanceOf(wallets[key].address);
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
    }
    spent = { verify: await daySpent(ours), noVerify: await daySpent(oursNoVerify) };
  } finally {
    await Promise.all([ours.close(), oursNoVerify.close(), official.close(), evmOurs.close(), evmOfficial.close()]);
  }

  const made = BigInt(WARMUP + variants[0]!.samples.length);
  for (const [key, w] of Object.entries(evmWallets)) {
    const moved = funded - (await evmRig.balanceOf(w.address));
    if (moved !== PAID_PRICE_ATOMIC * made) throw new Error(`bench: the EVM control's ${key} wallet paid ${moved} USDC atomic for ${made} calls`);
  }
  for (const key of Object.keys(wallets) as (keyof typeof wallets)[]) {
    const moved = before[key] - (await rig.usdcBalanceOf(wallets[key].address));
    if (moved !== PAID_PRICE_ATOMIC * made) throw new Error(`bench: the ${key} wallet paid ${moved} USDC atomic on-chain for ${made} calls; expected ${PAID_PRICE_ATOMIC * made}`);
  }
  for (const [label, day] of Object.entries(spent)) {
    if (parseUsd(day) !== PAID_PRICE_ATOMIC * made) throw new Error(`bench: ${label}'s day total is $${day} for ${made} calls of $0.01`);
  }
  const base = { variant: variants[0]!.name, samples: variants[0]!.samples };
  return {
    rows: [
      latencyRow(PAID, variants[0]!.name, variants[0]!.samples, { note: "baseline: probe, build and sign the transaction, paid retry, timed in the client's process" }),
      latencyRow(PAID, variants[1]!.name, variants[1]!.samples, { base, target: { ratio: TARGET_RATIO }, note: "MCP stdio round trip, preflight reads and on-chain receipt check (getTransaction) included" }),
      latencyRow(PAID, variants[2]!.name, variants[2]!.samples, { base, note: "reference: without the receipt check" }),
      latencyRow(PAID, variants[3]!.name, variants[3]!.samples, { note: "control baseline: the EVM rig's /paid, same rounds" }),
      latencyRow(PAID, variants[4]!.name, variants[4]!.samples, {
        base: { variant: variants[3]!.name, samples: variants[3]!.samples },
        note: "control: what a paid call through MCP costs on EVM in the same rounds",
      }),
    ],
    notes: [
      `Solana: every one of the ${made} calls per variant (incl. ${WARMUP} warm-up) paid on the rig's LiteSVM, ${PAID_PRICE_ATOMIC} atomic devnet USDC each (balances of the three wallets checked); ` +
        `our day totals $${spent.verify} (receipt check on) and $${spent.noVerify} (off), as expected. Receipt statuses: ${[...statuses].map(([k, v]) => `${k} ×${v}`).join("; ")}.`,
      `Solana, CPU time per paid call of the process that pays (from /proc ticks, mean over the timed calls): ${variants.map((v) => `${v.name} ${(v.cpuMs / v.samples.length).toFixed(1)} ms`).join(", ")}.`,
    ],
  };
}

/** spawn → initialize and tools/list answered, with an EVM network only and with a Solana network beside it. */
async function coldStarts(rig: SolanaRig, n: number): Promise<ScenarioResult> {
  const wallet = await rig.newWallet();
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", X402_PRIVATE_KEY: generatePrivateKey(), X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 };
  const variants = [
    { name: "EVM network only", networks: ["eip155:84532"], init: [] as number[], list: [] as number[] },
    { name: "EVM and Solana Devnet", networks: ["eip155:84532", DEVNET], init: [] as number[], list: [] as number[] },
  ].map((v) => ({
    ...v,
    run: async () => {
      const dir = tempDir("solcold");
      const rpc = { "eip155:84532": "http://127.0.0.1:9", [DEVNET]: rig.rpcUrl };
      const config = writeConfigFile(dir, { networks: v.networks, rpc, ledger: join(dir, "ledger.jsonl") });
      const server = spawnRaw([SERVER_ENTRY, "--config", config], env, dir);
      try {
        server.send(INITIALIZE(1));
        const init = await server.response(1);
        server.send(INITIALIZED);
        server.send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
        const list = await server.response(2);
        if (!(list.message.result as { tools?: unknown[] } | undefined)?.tools?.length) throw new Error("bench: tools/list came back without tools");
        v.init.push(init.at - server.t0);
        v.list.push(list.at - server.t0);
      } finally {
        await server.stop();
      }
    },
  }));
  for (const v of variants) await v.run(); // warm the page cache
  const deadline = Date.now() + 300_000;
  const nodeExits: number[] = [];
  for (let round = 0; round < n && Date.now() < deadline; round++) {
    for (const v of rotation(variants, round)) await v.run();
    const child = spawnRaw(["-e", "0"], env, tempDir("solcold"));
    await new Promise<void>((resolve) => child.child.once("exit", () => resolve()));
    nodeExits.push(nowMs() - child.t0);
  }
  const [evm, solana] = variants;
  return {
    rows: [
      latencyRow(COLD, `${evm!.name}: spawn → initialize answered`, evm!.init, { note: "baseline: both keys set" }),
      latencyRow(COLD, `${solana!.name}: spawn → initialize answered`, solana!.init, { base: { variant: evm!.name, samples: evm!.init } }),
      latencyRow(COLD, `${evm!.name}: spawn → tools/list answered`, evm!.list, { note: "baseline" }),
      latencyRow(COLD, `${solana!.name}: spawn → tools/list answered`, solana!.list, { base: { variant: evm!.name, samples: evm!.list } }),
      latencyRow(COLD, "node -e 0 (spawn to exit)", nodeExits, { note: "reference: the machine's speed during the run" }),
    ],
    notes: [
      "Solana cold start: the same server and keys, the config with and without solana:EtWT… in networks; the difference is what enabling the Solana family costs before the first tool call (its @solana/kit RPC client loads on the first chain read, not here).",
    ],
  };
}

/** The day total in USD, as spending_history reports it (no payment made). */
async function daySpent(session: BenchSession): Promise<string> {
  const out = (await session.call("spending_history", { limit: 1 })).structuredContent as { totals?: { byDay?: { spent: string }[] } } | undefined;
  return out?.totals?.byDay?.[0]?.spent ?? "0.00";
}
