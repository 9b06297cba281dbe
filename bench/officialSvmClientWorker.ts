import { createInterface } from "node:readline";
import { createKeyPairSignerFromBytes, getBase58Encoder } from "@solana/kit";
import { wrapFetchWithPayment, x402Client } from "@x402/fetch";
import { ExactSvmScheme } from "@x402/svm/exact/client";
import { officialPaidGet } from "./officialClient.js";

/**
 * The official Solana client in a process of its own: @x402/fetch with @x402/svm's exact
 * scheme, as its README wires it, reading the cluster through BENCH_OFFICIAL_SVM_RPC (the
 * rig's). One URL per stdin line, one JSON line `{ms}` per paid GET, timed around the call.
 */
const signer = await createKeyPairSignerFromBytes(new Uint8Array(getBase58Encoder().encode(process.env.BENCH_OFFICIAL_SVM_KEY ?? "")));
const client = new x402Client();
client.register("solana:*", new ExactSvmScheme(signer, { rpcUrl: process.env.BENCH_OFFICIAL_SVM_RPC }));
const pay = wrapFetchWithPayment(fetch, client);
for await (const url of createInterface({ input: process.stdin })) {
  const started = performance.now();
  try {
    await officialPaidGet(pay, url);
    process.stdout.write(`${JSON.stringify({ ms: performance.now() - started })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: (error as Error).message })}\n`);
  }
}
