import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseEther, type Hash } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { paymentV2Of, send402v2, settlementHeader, startHostileServer, type HostileServer, type PaymentV2 } from "../hostile/hostileServer.js";
import { createSignerClient } from "../rig/chain.js";
import { startRig, usdcAbi, type Rig, type RigWallet } from "../rig/index.js";
import { startRedis, type RedisHandle } from "../rig/redis.js";
import { startRelayer, type Relayer } from "../rig/relayer.js";
import { SERVER_ENTRY, startMcp, textOf, writeConfig } from "./mcpClient.js";

const run = promisify(execFile);
const PAY_TO = "0x2222222222222222222222222222222222222222";
const PRICE = "20000"; // 0.02 USDC

/**
 * Reconciliation on the anvil rig with the chain's clock moved forward: a payment whose server
 * never settled expires and gives its amount back to the daily cap (proved by a paid call that
 * did not fit before), a late settlement becomes verified, a transfer made with the key
 * elsewhere is reported and counted, a failed RPC read changes nothing.
 */
describe("ledger reconcile", () => {
  let rig: Rig;
  let relayer: Relayer;
  let hostile: HostileServer;
  let redis: RedisHandle;
  const unsettled: PaymentV2[] = [];
  /** How long /unsettled's authorizations are valid (by this machine's clock, as the wallet signs). */
  let unsettledSeconds = 30;

  const requirement = (maxTimeoutSeconds: number) => ({
    scheme: "exact",
    network: "eip155:84532",
    amount: PRICE,
    asset: rig.usdc,
    payTo: PAY_TO,
    maxTimeoutSeconds,
    extra: { name: "USDC", version: "2" },
  });

  beforeAll(async () => {
    [rig, redis] = await Promise.all([startRig(), startRedis()]);
    relayer = await startRelayer(rig);
    hostile = await startHostileServer({
      // Takes the payment and answers without settling it: its outcome stays unknown.
      "/unsettled": (req, res, { paid }) => {
        if (!paid) return send402v2(res, [requirement(unsettledSeconds)]);
        unsettled.push(paymentV2Of(req));
        res.writeHead(200, { "content-type": "text/plain" }).end("content, never settled");
      },
      // The same, valid for 10 minutes: settled late by the test itself.
      "/unsettled-long": (req, res, { paid }) => {
        if (!paid) return send402v2(res, [requirement(600)]);
        unsettled.push(paymentV2Of(req));
        res.writeHead(200, { "content-type": "text/plain" }).end("content, never settled");
      },
      // Settles for real, with an authorization valid long after the chain's clock was moved.
      "/settles": (req, res, { paid }) => {
        if (!paid) return send402v2(res, [requirement(600)]);
        const payment = paymentV2Of(req);
        relayer.settle(payment.payload).then(
          (transaction) =>
            res
              .writeHead(200, { "PAYMENT-RESPONSE": settlementHeader({ success: true, transaction, network: payment.accepted.network }), "content-type": "text/plain" })
              .end("paid content"),
          (error: Error) => res.writeHead(500).end(`settlement failed: ${error.message}`),
        );
      },
    });
  }, 120_000);
  afterAll(async () => {
    await hostile?.close();
    await Promise.all([rig?.stop(), redis?.stop()]);
  });

  const configFor = (store: "file" | "redis", overrides: Partial<ConfigInput> = {}): ConfigInput => ({
    networks: ["eip155:84532"],
    rpc: { "eip155:84532": rig.rpcUrl },
    hosts: { allowPrivate: true },
    budget: { perCall: "0.05", perSession: "1", perDay: "0.03" },
    reconcile: { intervalSeconds: 0 },
    content: { payOnceSeconds: 0 },
    ledger: join(mkdtempSync(join(tmpdir(), "reconcile-")), "ledger.jsonl"),
    ...(store === "redis" ? { store: { kind: "redis", url: redis.url, prefix: `reconcile-${Date.now()}:` } } : {}),
    ...overrides,
  });

  async function reconcile(config: ConfigInput, wallet: RigWallet, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const configPath = writeConfig(config);
    try {
      const { stdout, stderr } = await run(process.execPath, [SERVER_ENTRY, "ledger", "reconcile", "--config", configPath, ...args], {
        env: { PATH: process.env.PATH ?? "", X402_PRIVATE_KEY: wallet.privateKey },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  /**
   * Makes /unsettled's next authorization valid for 60 s of the chain's time, however far
   * earlier tests moved the chain's clock ahead of this machine's (it never goes back).
   */
  async function unsettledFor60ChainSeconds(): Promise<void> {
    const head = await rig.publicClient.getBlock({ blockTag: "latest" });
    const ahead = Math.max(0, Number(head.timestamp) - Math.floor(Date.now() / 1000));
    unsettledSeconds = 60 + ahead;
  }

  /** Moves the chain's clock (never this machine's): 75 s is past a 60 s authorization, and all moves together stay within a 600 s one. */
  async function moveChainTime(seconds: number): Promise<void> {
    await rig.testClient.increaseTime({ seconds });
    await rig.testClient.mine({ blocks: 1 });
  }

  async function daySpent(mcp: Awaited<ReturnType<typeof startMcp>>): Promise<string> {
    const balance = await mcp.call("wallet_balance", {});
    return (balance.structuredContent as { budget: { day: { spent: string } } }).budget.day.spent;
  }

  describe.each(["file", "redis"] as const)("on the %s store", (store) => {
    it("a payment whose server never settled expires after validBefore and its amount comes back to the daily cap", async () => {
      const wallet = await rig.newWallet(1_000_000n);
      const config = configFor(store);
      const mcp = await startMcp({ config, env: { X402_PRIVATE_KEY: wallet.privateKey } });
      try {
        await unsettledFor60ChainSeconds();
        const first = await mcp.call("paid_fetch", { url: `${hostile.url}/unsettled` });
        expect((first.structuredContent as { payment: { status: string } }).payment.status).toBe("unconfirmed");
        expect(await daySpent(mcp)).toBe("0.02");

        // 0.02 + 0.02 is past the 0.03 daily cap: refused, nothing sent.
        const sentBefore = hostile.paymentsAt("/settles");
        const refused = await mcp.call("paid_fetch", { url: `${hostile.url}/settles` });
        expect(textOf(refused)).toMatch(/^\[DAILY_BUDGET_EXCEEDED\]/);
        expect(hostile.paymentsAt("/settles")).toBe(sentBefore);

        // Before validBefore the chain proves nothing: the entry stays as it is.
        const early = await reconcile(config, wallet);
        expect(early.stdout + early.stderr).toMatch(/^(?![\s\S]*could not)/);
        expect(early.code, early.stdout + early.stderr).toBe(0);
        expect(early.stdout).toMatch(/0 expired.*1 still open/);
        expect(await daySpent(mcp)).toBe("0.02");

        await moveChainTime(75);
        const result = await reconcile(config, wallet);
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(new RegExp(`${hostile.url}/unsettled  0\\.02 USDC  nonce 0x[0-9a-f]{64}  unconfirmed → expired: its EIP-3009 authorization .* is unused on-chain and expired`));
        expect(result.stdout).toMatch(/1 payment\(s\) with an unknown outcome checked; 0 verified, 1 expired/);

        // The running server sees it at its next call, without a restart.
        expect(await daySpent(mcp)).toBe("0.00");
        const paid = await mcp.call("paid_fetch", { url: `${hostile.url}/settles` });
        expect((paid.structuredContent as { payment: { status: string } }).payment.status).toBe("verified");
        expect(await daySpent(mcp)).toBe("0.02");

        const history = await mcp.call("spending_history", {});
        const receipts = (history.structuredContent as { receipts: { status: string; resource: string; note?: string }[] }).receipts;
        expect(receipts.map((r) => r.status)).toEqual(["verified", "expired"]);
        expect(receipts[1]?.note).toMatch(/expired/);

        // A second run changes nothing.
        expect((await reconcile(config, wallet)).stdout).toMatch(/0 payment\(s\) with an unknown outcome checked/);
      } finally {
        await mcp.close();
      }
    }, 120_000);
  });

  it("a late settlement before expiry becomes verified, with its transaction", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const config = configFor("file");
    const mcp = await startMcp({ config, env: { X402_PRIVATE_KEY: wallet.privateKey } });
    try {
      await mcp.call("paid_fetch", { url: `${hostile.url}/unsettled-long` });
      const transaction = await relayer.settle(unsettled.at(-1)!.payload);
      const result = await reconcile(config, wallet, "--json");
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as { changed: { from: string; to: string; transaction: string }[]; external: unknown[] };
      expect(report.changed).toEqual([expect.objectContaining({ from: "unconfirmed", to: "verified", transaction })]);
      expect(report.external).toEqual([]);
      const history = await mcp.call("spending_history", {});
      expect((history.structuredContent as { receipts: unknown[] }).receipts).toEqual([expect.objectContaining({ status: "verified", transaction })]);
      expect(await daySpent(mcp)).toBe("0.02");
    } finally {
      await mcp.close();
    }
  }, 120_000);

  it("a transfer made directly with the key is reported with its transaction and counted in the day's total", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    await rig.testClient.setBalance({ address: wallet.address, value: parseEther("1") });
    const config = configFor("file");
    const signer = createSignerClient(rig.rpcUrl, rig.chain, privateKeyToAccount(wallet.privateKey));
    const hash: Hash = await signer.writeContract({ address: rig.usdc, abi: usdcAbi, functionName: "transfer", args: [PAY_TO, 5_000n] });
    await rig.publicClient.waitForTransactionReceipt({ hash });

    const result = await reconcile(config, wallet);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`WARNING unknown transfer from the wallet: 0.005 USDC to ${PAY_TO}`);
    expect(result.stdout).toContain(`transaction ${hash} (counted in the day's total)`);
    const configPath = writeConfig(config);
    const doctor = await run(process.execPath, [SERVER_ENTRY, "doctor", "--config", configPath], { env: { PATH: process.env.PATH ?? "", X402_PRIVATE_KEY: wallet.privateKey } }).catch(
      (error: { stdout: string }) => error,
    );
    expect(doctor.stdout).toMatch(new RegExp(`WARN\\s+unknown transfers \\(24 h\\)\\s+1 transfer\\(s\\) from the wallet that no ledger entry explains:[\\s\\S]*0\\.005 USDC to ${PAY_TO} on eip155:84532 in ${hash}`));
    const again = await reconcile(config, wallet, "--json");
    expect((JSON.parse(again.stdout) as { external: { transaction: string }[] }).external).toEqual([expect.objectContaining({ transaction: hash, counted: true })]);

    const mcp = await startMcp({ config, env: { X402_PRIVATE_KEY: wallet.privateKey } });
    try {
      expect(await daySpent(mcp)).toBe("0.005");
    } finally {
      await mcp.close();
    }
  }, 120_000);

  it("a running server reconciles in the background (reconcile.intervalSeconds) and gives the expired amount back", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const mcp = await startMcp({ config: configFor("file", { reconcile: { intervalSeconds: 1 } }), env: { X402_PRIVATE_KEY: wallet.privateKey } });
    try {
      await unsettledFor60ChainSeconds();
      await mcp.call("paid_fetch", { url: `${hostile.url}/unsettled` });
      expect(await daySpent(mcp)).toBe("0.02");
      await moveChainTime(75);
      const deadline = Date.now() + 60_000;
      while ((await daySpent(mcp)) !== "0.00" && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await daySpent(mcp)).toBe("0.00");
      expect(mcp.stderr()).toMatch(/reconciliation with the chain: .*unconfirmed → expired/);
    } finally {
      await mcp.close();
    }
  }, 120_000);

  it("an RPC error leaves every entry as it is", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const config = configFor("file");
    const mcp = await startMcp({ config, env: { X402_PRIVATE_KEY: wallet.privateKey } });
    try {
      await unsettledFor60ChainSeconds();
      await mcp.call("paid_fetch", { url: `${hostile.url}/unsettled` });
    } finally {
      await mcp.close();
    }
    await moveChainTime(75);
    const before = readFileSync(config.ledger!, "utf8");
    // Nothing listens there: every read fails.
    const result = await reconcile({ ...config, rpc: { "eip155:84532": "http://127.0.0.1:9" } }, wallet);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/could not check .*\/unsettled .*left as it was/);
    expect(result.stdout).toMatch(/0 expired.*1 not checked/);
    expect(readFileSync(config.ledger!, "utf8")).toBe(before);
  }, 120_000);
});
