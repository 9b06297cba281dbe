import { createInterface } from "node:readline";
import type { Hex } from "viem";
import { officialFetch, officialPaidGet, type OfficialExtraAsset } from "./officialClient.js";

/**
 * The official client in a process of its own, as an agent would run it: one URL per line
 * on stdin, one JSON line per paid GET on stdout with its time measured here, around the
 * call alone. Started by `startOfficialClientProcess` (harness.ts); BENCH_OFFICIAL_PERMIT2
 * (JSON {network, asset}) wires it for the Permit2 routes.
 */
const permit2 = process.env.BENCH_OFFICIAL_PERMIT2 ? (JSON.parse(process.env.BENCH_OFFICIAL_PERMIT2) as OfficialExtraAsset) : undefined;
const pay = officialFetch({ privateKey: process.env.BENCH_OFFICIAL_KEY as Hex }, permit2);
for await (const url of createInterface({ input: process.stdin })) {
  const started = performance.now();
  try {
    await officialPaidGet(pay, url);
    process.stdout.write(`${JSON.stringify({ ms: performance.now() - started })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
  }
}
