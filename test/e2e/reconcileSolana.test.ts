import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  appendTransactionMessageInstructions,
  blockhash,
  createTransactionMessage,
  getTransactionEncoder,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
} from "@solana/kit";
import { getTransferCheckedInstruction } from "@solana-program/token";
import type { x402Facilitator } from "@x402/core/facilitator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { send402v2, settlementHeader, startHostileServer, type HostileServer } from "../hostile/hostileServer.js";
import { createSvmFacilitator, LAMPORTS_PER_SOL, startSolanaRig, type SolanaRig, type SolanaRigWallet } from "../rig/solana/index.js";
import { SERVER_ENTRY, startMcp, textOf, writeConfig, type McpSession } from "./mcpClient.js";

const run = promisify(execFile);
const DEVNET = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1";
const PRICE = "20000"; // 0.02 USDC

// A PAYMENT-SIGNATURE as the facilitator settles it.
type SvmPayment = Parameters<x402Facilitator["settle"]>[0];

/**
 * Reconciliation of Solana payments on the SVM rig (LiteSVM behind a JSON-RPC server) with
 * its block height moved forward: a payment whose server kept the signed transaction and never
 * submitted it expires once the chain's height passes the transaction's last valid block height,
 * and its amount comes back to the daily cap (a paid call that did not fit then fits); the kept
 * transaction submitted before that becomes verified; a transfer made directly with the key is
 * reported with its transaction and counted; a failed RPC read changes nothing.
 */
describe("ledger reconcile on Solana", () => {
  let rig: SolanaRig;
  let feePayer: SolanaRigWallet;
  let facilitator: x402Facilitator;
  let hostile: HostileServer;
  const kept: SvmPayment[] = [];

  const requirement = () => ({
    scheme: "exact",
    network: DEVNET,
    amount: PRICE,
    asset: rig.usdc,
    payTo: rig.payTo,
    maxTimeoutSeconds: 60,
    extra: { feePayer: feePayer.address },
  });
  const settle = async (payment: SvmPayment): Promise<string> => {
    const result = await facilitator.settle(payment, payment.accepted);
    if (!result.success) throw new Error(`settlement failed: ${result.errorReason}`);
    return result.transaction;
  };

  beforeAll(async () => {
    rig = await startSolanaRig();
    feePayer = await rig.newWallet();
    rig.airdrop(feePayer.address, LAMPORTS_PER_SOL);
    ({ facilitator } = createSvmFacilitator({ feePayer: feePayer.signer, rpcUrl: rig.rpcUrl }));
    hostile = await startHostileServer({
      // Keeps the signed transaction and answers without submitting it: its outcome stays unknown.
      "/unsettled": (req, res, { paid }) => {
        if (!paid) return send402v2(res, [requirement()]);
        kept.push(JSON.parse(Buffer.from(String(req.headers["payment-signature"]), "base64").toString("utf8")) as SvmPayment);
        res.writeHead(200, { "content-type": "text/plain" }).end("content, never settled");
      },
      "/settles": (req, res, { paid }) => {
        if (!paid) return send402v2(res, [requirement()]);
        settle(JSON.parse(Buffer.from(String(req.headers["payment-signature"]), "base64").toString("utf8")) as SvmPayment).then(
          (transaction) =>
            res
              .writeHead(200, { "PAYMENT-RESPONSE": settlementHeader({ success: true, transaction, network: DEVNET }), "content-type": "text/plain" })
              .end("paid content"),
          (error: Error) => res.writeHead(500).end(`settlement failed: ${error.message}`),
        );
      },
    });
  }, 120_000);
  afterAll(async () => {
    await hostile?.close();
    await rig?.stop();
  });

  const configFor = (): ConfigInput => ({
    networks: [DEVNET],
    rpc: { [DEVNET]: rig.rpcUrl },
    hosts: { allowPrivate: true },
    budget: { perCall: "0.05", perSession: "1", perDay: "0.03" },
    reconcile: { intervalSeconds: 0 },
    content: { payOnceSeconds: 0 },
    ledger: join(mkdtempSync(join(tmpdir(), "reconcile-svm-")), "ledger.jsonl"),
  });

  async function reconcile(config: ConfigInput, wallet: SolanaRigWallet, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const configPath = writeConfig(config);
    try {
      const { stdout, stderr } = await run(process.execPath, [SERVER_ENTRY, "ledger", "reconcile", "--config", configPath, ...args], {
        env: { PATH: process.env.PATH ?? "", X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  async function daySpent(mcp: McpSession): Promise<string> {
    const balance = await mcp.call("wallet_balance", {});
    return (balance.structuredContent as { budget: { day: { spent: string } } }).budget.day.spent;
  }

  /** The last valid block height the ledger's sign line recorded for the payment's transaction. */
  function lastValidBlockHeightOf(ledger: string): bigint {
    const signs = readFileSync(ledger, "utf8")
      .split("\n")
      .filter((line) => line.includes('"lastValidBlockHeight"'))
      .map((line) => JSON.parse(line) as { lastValidBlockHeight: number | string });
    expect(signs).toHaveLength(1);
    return BigInt(signs[0]!.lastValidBlockHeight);
  }

  /** Pays /unsettled with a fresh wallet holding 1 USDC; the server keeps the transaction. */
  async function payUnsettled(config: ConfigInput): Promise<{ wallet: SolanaRigWallet; mcp: McpSession }> {
    const wallet = await rig.newWallet(1_000_000n);
    const mcp = await startMcp({ config, env: { X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 } });
    const first = await mcp.call("paid_fetch", { url: `${hostile.url}/unsettled` });
    expect((first.structuredContent as { payment: { status: string } } | undefined)?.payment.status, textOf(first)).toBe("unconfirmed");
    return { wallet, mcp };
  }

  it("a transaction its server never submitted expires once the block height passes its last valid one, and its amount comes back to the daily cap", async () => {
    const config = configFor();
    const { wallet, mcp } = await payUnsettled(config);
    try {
      const keptPayment = kept.at(-1)!;
      expect(await daySpent(mcp)).toBe("0.02");
      const lastValid = lastValidBlockHeightOf(config.ledger!);

      // 0.02 + 0.02 is past the 0.03 daily cap: refused, nothing sent.
      const refused = await mcp.call("paid_fetch", { url: `${hostile.url}/settles` });
      expect(textOf(refused)).toMatch(/^\[DAILY_BUDGET_EXCEEDED\]/);
      expect(hostile.paymentsAt("/settles")).toBe(0);

      // While the transaction can still land the chain proves nothing: the entry stays.
      expect(rig.chain.blockHeight).toBeLessThanOrEqual(lastValid);
      const early = await reconcile(config, wallet);
      expect(early.code, early.stdout + early.stderr).toBe(0);
      expect(early.stdout).toMatch(/1 payment\(s\) with an unknown outcome checked; 0 verified, 0 expired, 0 mismatch, 1 still open/);
      expect(await daySpent(mcp)).toBe("0.02");

      rig.advanceBlocks(lastValid - rig.chain.blockHeight + 1n);
      expect(rig.chain.blockHeight).toBe(lastValid + 1n);
      const result = await reconcile(config, wallet);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(
        new RegExp(
          `${hostile.url}/unsettled  0\\.02 USDC  nonce [1-9A-HJ-NP-Za-km-z]{64,88}  unconfirmed → expired: its transaction \\(signature [1-9A-HJ-NP-Za-km-z]+\\) is not on-chain and can never land: the finalized block height ${lastValid + 1n} is past its last valid block height ${lastValid}`,
        ),
      );
      expect(result.stdout).toMatch(/1 payment\(s\) with an unknown outcome checked; 0 verified, 1 expired/);

      // What "can never land" means: the kept transaction is refused now.
      await expect(settle(keptPayment)).rejects.toThrow(/settlement failed/);

      // The running server sees it at its next call; the call that did not fit now pays.
      expect(await daySpent(mcp)).toBe("0.00");
      const paid = await mcp.call("paid_fetch", { url: `${hostile.url}/settles` });
      expect((paid.structuredContent as { payment: { status: string } } | undefined)?.payment.status, textOf(paid)).toBe("verified");
      expect(await daySpent(mcp)).toBe("0.02");
      expect(await rig.usdcBalanceOf(wallet.address)).toBe(980_000n);

      const history = await mcp.call("spending_history", {});
      const receipts = (history.structuredContent as { receipts: { status: string; note?: string }[] }).receipts;
      expect(receipts.map((r) => r.status)).toEqual(["verified", "expired"]);
      expect(receipts[1]?.note).toMatch(/expired/);

      // The settled payment is verified already: a second run has nothing to ask.
      expect((await reconcile(config, wallet)).stdout).toMatch(/0 payment\(s\) with an unknown outcome checked/);
    } finally {
      await mcp.close();
    }
  }, 120_000);

  it("the kept transaction submitted late, before its last valid block height, becomes verified with its transaction", async () => {
    const config = configFor();
    const { wallet, mcp } = await payUnsettled(config);
    try {
      const transaction = await settle(kept.at(-1)!);
      const result = await reconcile(config, wallet, "--json");
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as { changed: { from: string; to: string; transaction: string }[] };
      expect(report.changed).toEqual([expect.objectContaining({ from: "unconfirmed", to: "verified", transaction })]);
      const history = await mcp.call("spending_history", {});
      expect((history.structuredContent as { receipts: unknown[] }).receipts).toEqual([expect.objectContaining({ status: "verified", transaction })]);
      // Settled money stays spent.
      expect(await daySpent(mcp)).toBe("0.02");
      expect(await rig.usdcBalanceOf(wallet.address)).toBe(980_000n);
    } finally {
      await mcp.close();
    }
  }, 120_000);

  it("an RPC error leaves the entry as it is, even past the last valid block height", async () => {
    const config = configFor();
    const { wallet, mcp } = await payUnsettled(config);
    await mcp.close();
    const lastValid = lastValidBlockHeightOf(config.ledger!);
    rig.advanceBlocks(lastValid - rig.chain.blockHeight + 1n);
    const before = readFileSync(config.ledger!, "utf8");

    // The height is readable and past expiry, but the search for the transaction fails: absence is not proven.
    rig.rpc.failing.add("getSignaturesForAddress");
    try {
      const result = await reconcile(config, wallet);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/could not check .*\/unsettled .*left as it was/);
      expect(result.stdout).toMatch(/0 expired.*1 not checked/);
      expect(readFileSync(config.ledger!, "utf8")).toBe(before);
    } finally {
      rig.rpc.failing.delete("getSignaturesForAddress");
    }
    // Nothing listens there: no read at all.
    const unreachable = await reconcile({ ...config, rpc: { [DEVNET]: "http://127.0.0.1:9" } }, wallet);
    expect(unreachable.code).toBe(1);
    expect(readFileSync(config.ledger!, "utf8")).toBe(before);

    // With the RPC answering again the same entry expires: the failure alone kept it.
    expect((await reconcile(config, wallet)).stdout).toMatch(/1 expired/);
  }, 120_000);

  it("a transfer made directly with the key is reported with its transaction and counted in the day's total", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    rig.airdrop(wallet.address, LAMPORTS_PER_SOL);
    const config = configFor();
    // The key used elsewhere: 0.005 USDC to the merchant, the wallet paying its own fee.
    const [source, destination] = await Promise.all([rig.usdcAta(wallet.address), rig.usdcAta(rig.payTo)]);
    const latest = rig.chain.latestBlockhash();
    const signed = await signTransactionMessageWithSigners(
      pipe(
        createTransactionMessage({ version: 0 }),
        (m) => setTransactionMessageFeePayerSigner(wallet.signer, m),
        (m) => setTransactionMessageLifetimeUsingBlockhash({ blockhash: blockhash(latest.blockhash), lastValidBlockHeight: latest.lastValidBlockHeight }, m),
        (m) => appendTransactionMessageInstructions([getTransferCheckedInstruction({ source, mint: rig.usdc, destination, authority: wallet.signer, amount: 5_000n, decimals: 6 })], m),
      ),
    );
    const transaction = rig.chain.send(Uint8Array.from(getTransactionEncoder().encode(signed))).signature;
    expect(await rig.usdcBalanceOf(wallet.address)).toBe(995_000n);

    const result = await reconcile(config, wallet);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`WARNING unknown transfer from the wallet: 0.005 USDC to ${rig.payTo} on ${DEVNET}`);
    expect(result.stdout).toContain(`transaction ${transaction} (counted in the day's total)`);
    const again = await reconcile(config, wallet, "--json");
    expect((JSON.parse(again.stdout) as { external: { transaction: string }[] }).external).toEqual([expect.objectContaining({ transaction, counted: true })]);

    const mcp = await startMcp({ config, env: { X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 } });
    try {
      expect(await daySpent(mcp)).toBe("0.005");
    } finally {
      await mcp.close();
    }
  }, 120_000);
});
