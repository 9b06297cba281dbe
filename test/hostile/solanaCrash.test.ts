import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getBase58Decoder, getTransactionDecoder } from "@solana/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseUsd } from "../../src/money.js";
import { startSolanaRig, type LandedTransaction, type SolanaRig } from "../rig/solana/index.js";
import { startMcp, textOf } from "../e2e/mcpClient.js";

const DEVNET = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1";
const KILLS = 16;
const FUNDED = 10_000_000n;
/** Twelve payments of /paid (10000 units, 0.01 USD): more than the kills settle, so paying on reaches it. */
const PER_DAY = 120_000n;

/**
 * kill -9 at random points of a Solana payment (before the request, between signing and
 * sending, while the facilitator settles, after it): on restart every transaction that landed
 * with the wallet's signature is in the ledger, the day's total is never below what the chain
 * shows was paid, and paying on until the daily cap refuses never moves more than the cap.
 */
describe("crash safety on Solana", () => {
  let rig: SolanaRig;
  const landed: LandedTransaction[] = [];
  beforeAll(async () => {
    // Latency on every request widens each phase so random kills land in all of them.
    rig = await startSolanaRig({ latencyMs: 120 });
    // Every transaction the chain executes, to find the ones the wallet signed.
    const send = rig.chain.send.bind(rig.chain);
    rig.chain.send = (wire) => {
      const record = send(wire);
      landed.push(record);
      return record;
    };
  }, 60_000);
  afterAll(async () => {
    await rig?.stop();
  });

  it(`${KILLS} kills mid-payment: nothing lost from the ledger, never over the daily cap`, async () => {
    const wallet = await rig.newWallet(FUNDED);
    const ledger = join(mkdtempSync(join(tmpdir(), "x402-svm-crash-")), "ledger.jsonl");
    const config = {
      networks: [DEVNET],
      rpc: { [DEVNET]: rig.rpcUrl },
      hosts: { allowPrivate: true },
      budget: { perCall: "0.10", perSession: "100", perDay: "0.12" },
      // Every call below must pay or be refused: a re-read served by the pay-once cache would end the loop neither way.
      content: { payOnceSeconds: 0 },
      ledger,
    };
    const env = { X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 };
    const paidOnChain = async () => FUNDED - (await rig.usdcBalanceOf(wallet.address));

    // How long a whole paid call takes in a fresh process (kit loads on the first payment), so
    // the kills spread over all of its phases. Its payment counts toward the cap like the others.
    const calibration = await startMcp({ config, env });
    const started = performance.now();
    await calibration.call("paid_fetch", { url: `${rig.v2.url}/paid` });
    const callMs = performance.now() - started;
    await calibration.close();

    const delays: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      const mcp = await startMcp({ config, env });
      const call = mcp.call("paid_fetch", { url: `${i % 2 ? rig.v1.url : rig.v2.url}/paid` }).catch(() => null);
      const delay = Math.floor(Math.random() * callMs * 1.2);
      delays.push(delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
      process.kill(mcp.pid!, "SIGKILL");
      await call;
    }
    // Let the facilitator finish settling what the dead processes sent.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const restarted = await startMcp({ config, env });
    try {
      const out = (await restarted.call("wallet_balance")).structuredContent as any;
      const afterKills = await paidOnChain();
      expect(parseUsd(out.budget.day.spent)).toBeGreaterThanOrEqual(afterKills);

      // Pay on until the daily cap refuses: what the chain shows paid never passes it.
      let refusal = "";
      for (let i = 0; i < 16 && !refusal; i++) {
        const result = await restarted.call("paid_fetch", { url: `${rig.v2.url}/paid` });
        if (result.isError) refusal = textOf(result);
      }
      expect(refusal).toMatch(/^\[DAILY_BUDGET_EXCEEDED\] /);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const paid = await paidOnChain();
      expect(paid).toBeLessThanOrEqual(PER_DAY);

      const decoder = getTransactionDecoder();
      const base58 = getBase58Decoder();
      const ours = landed
        .filter((tx) => tx.err === null)
        .map((tx) => decoder.decode(tx.wire).signatures[wallet.address])
        .filter((signature) => signature != null)
        .map((signature) => base58.decode(signature!));
      const signedNonces = new Set(
        readFileSync(ledger, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line))
          .filter((e) => e.type === "sign")
          .map((e) => String(e.nonce)),
      );
      expect(ours.filter((signature) => !signedNonces.has(signature))).toEqual([]);
      expect(BigInt(ours.length) * 10_000n).toBe(paid);
      // Evidence the kills landed on both sides of the payment, not all before it.
      console.error(
        `solana crash safety: a paid call takes ${Math.round(callMs)} ms; ${KILLS} kills at ${delays.join(",")} ms; ${afterKills / 10_000n} settled by then (calibration included); the day counted ${out.budget.day.spent} USD; ${ours.length} in all when the cap refused; ${signedNonces.size} signed in the ledger; 0 lost`,
      );
      expect(afterKills).toBeGreaterThan(10_000n);
    } finally {
      await restarted.close();
    }
  }, 300_000);
});
