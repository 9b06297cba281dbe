import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { decodePaymentRequiredHeader, encodePaymentRequiredHeader } from "@x402/core/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { PERMIT2_EXACT_PATH, PERMIT2_EXACT_PRICE, startRig, type Rig, type RigPermit2, type RigWallet } from "../rig/index.js";
import { SERVER_ENTRY, startMcp, textOf, writeConfig, type McpSession } from "./mcpClient.js";

const run = promisify(execFile);

/**
 * The rig's v2 server behind a loopback proxy that misbehaves on request: `?keep=1` asks for a
 * permit valid 30 s (the shortest the wallet signs, so the chain's clock moves little past it),
 * keeps the paid request's PAYMENT-SIGNATURE and answers without forwarding it (the permit is
 * never settled); `?hide=1` forwards it (the server settles) but drops the settlement header from
 * the answer, so the wallet never learns what was taken; `?hang=1` forwards it and never answers.
 */
async function misbehavingProxy(target: string) {
  const kept: string[] = [];
  const held = new Set<import("node:http").ServerResponse>();
  const forwardedAndHeld: (() => void)[] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === "string" && e[0] !== "host"));
    const signature = headers["payment-signature"];
    const keep = url.searchParams.has("keep");
    if (signature && keep) {
      kept.push(signature);
      res.writeHead(200, { "content-type": "text/plain" }).end("content, never settled");
      return;
    }
    const upstream = await fetch(`${target}${req.url}`, { method: req.method, headers });
    if (signature && url.searchParams.has("hang")) {
      // The server has settled; its answer never reaches the wallet.
      held.add(res);
      forwardedAndHeld.splice(0).forEach((notify) => notify());
      return;
    }
    const dropped = ["content-encoding", "content-length", "transfer-encoding", "connection", ...(url.searchParams.has("hide") ? ["payment-response", "x-payment-response"] : [])];
    const answer = Object.fromEntries([...upstream.headers].filter(([k]) => !dropped.includes(k)));
    if (keep && answer["payment-required"]) {
      const required = decodePaymentRequiredHeader(answer["payment-required"]);
      answer["payment-required"] = encodePaymentRequiredHeader({ ...required, accepts: required.accepts.map((a) => ({ ...a, maxTimeoutSeconds: 30 })) });
    }
    res.writeHead(upstream.status, answer);
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    kept,
    /** Resolves once the next `?hang=1` paid request was answered upstream and is being held. */
    nextHeld: () => new Promise<void>((resolve) => forwardedAndHeld.push(resolve)),
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Reconciliation of Permit2 payments on the anvil rig with Permit2 and x402's proxies: an
 * exact permit its server never settled expires once the chain's time passes its deadline and
 * its amount comes back to the daily cap; an upto payment settled for less than its maximum
 * without the wallet hearing of it gets the amount taken from the chain, the rest given back.
 */
describe("ledger reconcile of Permit2 payments", () => {
  let rig: Rig;
  let p2: RigPermit2;
  let proxy: Awaited<ReturnType<typeof misbehavingProxy>>;

  beforeAll(async () => {
    rig = await startRig({ permit2: true });
    p2 = rig.permit2!;
    proxy = await misbehavingProxy(rig.v2.url);
  }, 180_000);
  afterAll(async () => {
    await proxy?.close();
    await rig?.stop();
  });

  const configFor = (perDay: string): ConfigInput => ({
    networks: ["eip155:84532"],
    rpc: { "eip155:84532": rig.rpcUrl },
    hosts: { allowPrivate: true },
    budget: { perCall: "0.10", perSession: "1", perDay },
    assets: [{ network: "eip155:84532", address: p2.token, symbol: "PLAIN", decimals: 18, usdPerUnit: "1" }],
    reconcile: { intervalSeconds: 0 },
    content: { payOnceSeconds: 0 },
    ledger: join(mkdtempSync(join(tmpdir(), "reconcile-permit2-")), "ledger.jsonl"),
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

  async function daySpent(mcp: McpSession): Promise<string> {
    const balance = await mcp.call("wallet_balance", {});
    return (balance.structuredContent as { budget: { day: { spent: string } } }).budget.day.spent;
  }
  const statusOf = (result: Awaited<ReturnType<McpSession["call"]>>) => (result.structuredContent as { payment?: { status: string } } | undefined)?.payment?.status;

  /** The deadline (Unix seconds) the ledger's one sign line recorded. */
  function deadlineOf(ledger: string): bigint {
    const signs = readFileSync(ledger, "utf8")
      .split("\n")
      .filter((line) => line.includes('"type":"sign"'))
      .map((line) => JSON.parse(line) as { validBefore: number });
    expect(signs).toHaveLength(1);
    return BigInt(signs[0]!.validBefore);
  }

  it("an exact Permit2 payment its server never settled expires after its deadline and its amount comes back to the daily cap", async () => {
    const wallet = await rig.newWallet();
    await p2.mintToken(wallet.address, PERMIT2_EXACT_PRICE * 10n);
    await p2.approvePermit2(wallet, p2.token);
    // 0.01 counted, a second 0.01 is past 0.015.
    const config = configFor("0.015");
    const mcp = await startMcp({ config, env: { X402_PRIVATE_KEY: wallet.privateKey } });
    try {
      const first = await mcp.call("paid_fetch", { url: `${proxy.url}${PERMIT2_EXACT_PATH}?keep=1` });
      expect(statusOf(first), textOf(first)).toBe("unconfirmed");
      expect(proxy.kept).toHaveLength(1);
      expect(await daySpent(mcp)).toBe("0.01");
      const refused = await mcp.call("paid_fetch", { url: `${proxy.url}${PERMIT2_EXACT_PATH}` });
      expect(textOf(refused)).toMatch(/^\[DAILY_BUDGET_EXCEEDED\]/);

      const deadline = deadlineOf(config.ledger!);
      const early = await reconcile(config, wallet);
      expect(early.code, early.stdout + early.stderr).toBe(0);
      expect(early.stdout).toMatch(/1 payment\(s\) with an unknown outcome checked; 0 verified, 0 expired, 0 mismatch, 1 still open/);

      // The chain's clock to 1 s past the deadline (Permit2 accepts the permit at the deadline itself).
      const head = await rig.publicClient.getBlock({ blockTag: "latest" });
      await rig.testClient.increaseTime({ seconds: Number(deadline - head.timestamp) + 1 });
      await rig.testClient.mine({ blocks: 1 });
      const result = await reconcile(config, wallet);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`${proxy.url}${PERMIT2_EXACT_PATH}\\?keep=1  0\\.01 PLAIN  nonce \\d+  unconfirmed → expired: its Permit2 nonce \\d+ is unused on-chain and expired`));
      expect(result.stdout).toMatch(/0 verified, 1 expired/);

      expect(await daySpent(mcp)).toBe("0.00");
      const before = await p2.balanceOf(wallet.address);
      const paid = await mcp.call("paid_fetch", { url: `${proxy.url}${PERMIT2_EXACT_PATH}` });
      expect(statusOf(paid), textOf(paid)).toBe("verified");
      expect(before - (await p2.balanceOf(wallet.address))).toBe(PERMIT2_EXACT_PRICE);
      expect(await daySpent(mcp)).toBe("0.01");
    } finally {
      await mcp.close();
    }
  }, 180_000);

  it("an upto payment settled for less than its maximum, unknown to the wallet, gets the amount taken from the chain and the rest back", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    await p2.approvePermit2(wallet, rig.usdc);
    // The 0.05 maximum counted; a second 0.05 maximum is past 0.07 until the rest comes back.
    const config = configFor("0.07");
    const mcp = await startMcp({ config, env: { X402_PRIVATE_KEY: wallet.privateKey } });
    try {
      const before = await rig.balanceOf(wallet.address);
      const first = await mcp.call("paid_fetch", { url: `${p2.urls.upto.replace(rig.v2.url, proxy.url)}?actual=12345&hide=1` });
      expect(statusOf(first), textOf(first)).toBe("unconfirmed");
      expect(before - (await rig.balanceOf(wallet.address))).toBe(12_345n);
      expect(await daySpent(mcp)).toBe("0.05");
      const refused = await mcp.call("paid_fetch", { url: `${p2.urls.upto.replace(rig.v2.url, proxy.url)}?actual=12345` });
      expect(textOf(refused)).toMatch(/^\[DAILY_BUDGET_EXCEEDED\]/);

      const result = await reconcile(config, wallet, "--json");
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as { changed: { from: string; to: string; transaction: string; takenAtomic?: string }[] };
      expect(report.changed).toEqual([expect.objectContaining({ from: "unconfirmed", to: "verified", takenAtomic: "12345", transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/) })]);
      expect(await daySpent(mcp)).toBe("0.012345");

      const paid = await mcp.call("paid_fetch", { url: `${p2.urls.upto.replace(rig.v2.url, proxy.url)}?actual=12345` });
      expect(statusOf(paid), textOf(paid)).toBe("verified");
      expect(await daySpent(mcp)).toBe("0.02469");
      const history = await mcp.call("spending_history", {});
      const receipts = (history.structuredContent as { receipts: { status: string; amount: string; transaction: string | null }[] }).receipts;
      expect(receipts.map((r) => [r.status, r.amount])).toEqual([
        ["verified", "0.012345"],
        ["verified", "0.012345"],
      ]);
      expect(receipts[1]?.transaction).toBe(report.changed[0]!.transaction);
    } finally {
      await mcp.close();
    }
  }, 180_000);

  it("an upto payment settled while its wallet process was killed (signed, no receipt) gets the amount taken, read as upto from the proxy that settled it", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    await p2.approvePermit2(wallet, rig.usdc);
    const config = configFor("0.07");
    const mcp = await startMcp({ config, env: { X402_PRIVATE_KEY: wallet.privateKey } });
    const held = proxy.nextHeld();
    const call = mcp.call("paid_fetch", { url: `${p2.urls.upto.replace(rig.v2.url, proxy.url)}?actual=12345&hang=1` }).catch((error: Error) => error);
    await held;
    process.kill(mcp.pid!, "SIGKILL");
    await call;
    await mcp.close().catch(() => undefined);

    const result = await reconcile(config, wallet, "--json");
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { changed: { from: string; to: string; takenAtomic?: string; reason: string | null }[] };
    expect(report.changed).toEqual([expect.objectContaining({ from: "signed", to: "verified", takenAtomic: "12345" })]);

    const again = await startMcp({ config, env: { X402_PRIVATE_KEY: wallet.privateKey } });
    try {
      expect(await daySpent(again)).toBe("0.012345");
    } finally {
      await again.close();
    }
  }, 180_000);
});
