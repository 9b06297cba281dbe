import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { startRig, type Rig } from "../rig/index.js";
import { startMcp, textOf, type McpSession, type StartOptions } from "./mcpClient.js";

/** The owner's policy, end to end: durable daily cap, host and payee rules, approval, quotes, history. */
describe("spending policy", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const base = (): ConfigInput => ({ networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, hosts: { allowPrivate: true } });
  const freshLedger = () => join(mkdtempSync(join(tmpdir(), "x402-policy-")), "ledger.jsonl");

  async function session(config: ConfigInput, privateKey: `0x${string}`, extra: Partial<StartOptions> = {}): Promise<McpSession> {
    return startMcp({ config: { ...base(), ...config }, env: { X402_PRIVATE_KEY: privateKey }, ...extra });
  }
  const paid = (r: Awaited<ReturnType<McpSession["call"]>>) => (r.structuredContent as any)?.payment?.status === "verified";

  it("keeps the daily cap across a kill -9 and a restart on the same ledger", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const ledger = freshLedger();
    const config = { ledger, budget: { perDay: "0.05", perSession: "1.00" } };
    const first = await session(config, wallet.privateKey);
    expect(paid(await first.call("paid_fetch", { url: `${rig.v2.url}/paid` }))).toBe(true);
    expect(paid(await first.call("paid_fetch", { url: `${rig.v1.url}/paid` }))).toBe(true);
    // Kill it in the middle of more payments: whatever it reserved must stay counted.
    const inFlight = [1, 2].map(() => first.call("paid_fetch", { url: `${rig.v2.url}/paid` }).catch(() => null));
    await new Promise((resolve) => setTimeout(resolve, 15));
    process.kill(first.pid!, "SIGKILL");
    await Promise.all(inFlight);

    const second = await session(config, wallet.privateKey);
    try {
      const results = await Promise.all(Array.from({ length: 6 }, () => second.call("paid_fetch", { url: `${rig.v2.url}/paid` })));
      expect(results.some((r) => textOf(r).startsWith("[DAILY_BUDGET_EXCEEDED]"))).toBe(true);
      const paidOnChain = 1_000_000n - (await rig.balanceOf(wallet.address));
      expect(paidOnChain).toBeLessThanOrEqual(50_000n);
      expect(paidOnChain).toBeGreaterThanOrEqual(20_000n);
      const budget = (await second.call("wallet_balance")).structuredContent as any;
      expect(budget.budget.day.limit).toBe("0.05");
      // The ledger never counts less than the chain shows was paid.
      expect(BigInt(Math.round(Number(budget.budget.day.spent) * 1e6))).toBeGreaterThanOrEqual(paidOnChain);
    } finally {
      await second.close();
    }
  });

  it("two server processes on one ledger never pass the daily cap together (on-chain)", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const config = { ledger: freshLedger(), budget: { perDay: "0.10", perSession: "1.00" } };
    const [a, b] = await Promise.all([session(config, wallet.privateKey), session(config, wallet.privateKey)]);
    try {
      const calls = Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).call("paid_fetch", { url: `${i % 3 ? rig.v2.url : rig.v1.url}/paid` }));
      const results = await Promise.all(calls);
      expect(results.filter(paid)).toHaveLength(10);
      expect(results.filter((r) => textOf(r).startsWith("[DAILY_BUDGET_EXCEEDED]"))).toHaveLength(14);
      expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n - 100_000n);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("applies host allow/deny and per-host limits before anything is requested or signed", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const localhostV2 = rig.v2.url.replace("127.0.0.1", "localhost");
    const mcp = await session(
      { hosts: { allowPrivate: true, deny: ["localhost"], limits: { "127.0.0.1": { perCall: "0.005" } } } },
      wallet.privateKey,
    );
    try {
      expect(textOf(await mcp.call("paid_fetch", { url: `${localhostV2}/paid` }))).toMatch(/^\[HOST_NOT_ALLOWED\] localhost is denied by hosts\.deny/);
      expect(textOf(await mcp.call("paid_fetch", { url: `${rig.v2.url}/paid` }))).toMatch(
        /^\[HOST_BUDGET_EXCEEDED\] .*hosts\.limits\["127\.0\.0\.1"\]\.perCall is 0\.005 USD/,
      );
      expect(paid(await mcp.call("paid_fetch", { url: `${rig.v2.url}/cheap` }))).toBe(true);
    } finally {
      await mcp.close();
    }
    const allowOnly = await session({ hosts: { allowPrivate: true, allow: ["localhost"] } }, wallet.privateKey);
    try {
      expect(textOf(await allowOnly.call("paid_fetch", { url: `${rig.v2.url}/free` }))).toMatch(/^\[HOST_NOT_ALLOWED\] 127\.0\.0\.1 is not in hosts\.allow/);
      expect((await allowOnly.call("paid_fetch", { url: `${localhostV2}/free` })).structuredContent).toMatchObject({ body: "free content" });
    } finally {
      await allowOnly.close();
    }
    expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n - 1_000n);
  });

  it("refuses payees outside the rules", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const denied = await session({ payees: { deny: [rig.payTo] } }, wallet.privateKey);
    try {
      expect(textOf(await denied.call("paid_fetch", { url: `${rig.v2.url}/paid` }))).toMatch(/^\[PAYEE_NOT_ALLOWED\] .*payees\.deny/);
    } finally {
      await denied.close();
    }
    const allowed = await session({ payees: { allow: [rig.payTo.toLowerCase()] } }, wallet.privateKey);
    try {
      expect(paid(await allowed.call("paid_fetch", { url: `${rig.v1.url}/paid` }))).toBe(true);
    } finally {
      await allowed.close();
    }
  });

  it("refuses a host name that resolves to a loopback address when allowPrivate is false", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const strict = await session({ hosts: { allowPrivate: false } }, wallet.privateKey);
    try {
      // "localhost" is not an IP literal: only the connect-time check on the resolved address can refuse it.
      const result = await strict.call("paid_fetch", { url: `${rig.v2.url.replace("127.0.0.1", "localhost")}/paid` });
      expect(textOf(result)).toMatch(/^\[PRIVATE_ADDRESS_BLOCKED\] localhost resolves to (127\.0\.0\.1|::1)/);
    } finally {
      await strict.close();
    }
    expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n);
  });

  describe("approval above approval.above", () => {
    const approvalConfig = { approval: { above: "0.005" } };
    const answer = (result: ElicitResult) => async () => result;

    it("pays once the person accepts, and shows them what, how much and to whom", async () => {
      const wallet = await rig.newWallet(1_000_000n);
      const asked: string[] = [];
      const mcp = await session(approvalConfig, wallet.privateKey, {
        onElicit: async (params) => {
          asked.push(params.message);
          return { action: "accept", content: { approve: true } };
        },
      });
      try {
        expect(paid(await mcp.call("paid_fetch", { url: `${rig.v2.url}/paid` }))).toBe(true);
        expect(asked).toHaveLength(1);
        expect(asked[0]).toMatch(new RegExp(`0\\.01 USDC.*${rig.v2.url}/paid.*${rig.payTo}.*Base Sepolia`, "s"));
        expect(paid(await mcp.call("paid_fetch", { url: `${rig.v2.url}/cheap` }))).toBe(true);
        expect(asked).toHaveLength(1);
      } finally {
        await mcp.close();
      }
    });

    it.each([
      ["declined", answer({ action: "decline" }), "APPROVAL_DENIED"],
      ["accepted without the box ticked", answer({ action: "accept", content: { approve: false } }), "APPROVAL_DENIED"],
      ["cancelled", answer({ action: "cancel" }), "APPROVAL_DENIED"],
    ])("pays nothing when %s", async (_label, onElicit, code) => {
      const wallet = await rig.newWallet(1_000_000n);
      const mcp = await session(approvalConfig, wallet.privateKey, { onElicit });
      try {
        expect(textOf(await mcp.call("paid_fetch", { url: `${rig.v2.url}/paid` }))).toMatch(new RegExp(`^\\[${code}\\]`));
        const budget = ((await mcp.call("wallet_balance")).structuredContent as any).budget;
        expect(budget.session.spent).toBe("0.00");
      } finally {
        await mcp.close();
      }
      expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n);
    });

    it("fails closed when the client cannot ask", async () => {
      const wallet = await rig.newWallet(1_000_000n);
      const mcp = await session(approvalConfig, wallet.privateKey);
      try {
        expect(textOf(await mcp.call("paid_fetch", { url: `${rig.v2.url}/paid` }))).toMatch(/^\[APPROVAL_REQUIRED\] .*does not support elicitation/);
      } finally {
        await mcp.close();
      }
      expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n);
    });
  });

  it("quote_price lists the options and the verdict, and moves no money", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const mcp = await session({ budget: { perCall: "0.10" } }, wallet.privateKey);
    try {
      const cheap = (await mcp.call("quote_price", { url: `${rig.v2.url}/paid` })).structuredContent as any;
      expect(cheap).toMatchObject({ paymentRequired: true, allowed: true, refusal: null, needsApproval: false });
      expect(cheap.options).toEqual([
        expect.objectContaining({ amount: "0.01", amountAtomic: "10000", usd: "0.01", symbol: "USDC", network: "eip155:84532", chosen: true, payable: true }),
      ]);
      const dear = await mcp.call("quote_price", { url: `${rig.v1.url}/expensive` });
      expect((dear.structuredContent as any).refusal.code).toBe("PRICE_ABOVE_CALL_LIMIT");
      expect(textOf(dear)).toMatch(/paid_fetch would refuse: \[PRICE_ABOVE_CALL_LIMIT\]/);
      expect((await mcp.call("quote_price", { url: `${rig.v2.url}/free` })).structuredContent).toMatchObject({ paymentRequired: false });
      expect(((await mcp.call("wallet_balance")).structuredContent as any).budget.session.spent).toBe("0.00");
    } finally {
      await mcp.close();
    }
    expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n);
  });

  it("spending_history and x402://receipts match what the chain shows", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const mcp = await session({ ledger: freshLedger() }, wallet.privateKey);
    try {
      await mcp.call("paid_fetch", { url: `${rig.v2.url}/paid` });
      await mcp.call("paid_fetch", { url: `${rig.v1.url}/paid-post`, method: "POST", body: "{}", headers: { "content-type": "application/json" } });
      await mcp.call("paid_fetch", { url: `${rig.v2.url}/cheap` });
      const history = (await mcp.call("spending_history", {})).structuredContent as any;
      expect(history.receipts.map((r: any) => r.amountAtomic)).toEqual(["1000", "20000", "10000"]);
      const onChain = 1_000_000n - (await rig.balanceOf(wallet.address));
      expect(history.receipts.reduce((sum: bigint, r: any) => sum + BigInt(r.amountAtomic), 0n)).toBe(onChain);
      for (const receipt of history.receipts) {
        expect(receipt.status).toBe("verified");
        const tx = await rig.publicClient.getTransactionReceipt({ hash: receipt.transaction });
        expect(tx.status).toBe("success");
      }
      const today = new Date().toISOString().slice(0, 10);
      expect(history.totals.byDay).toEqual([{ day: today, spent: "0.031", payments: 3 }]);
      expect(history.totals.byHost).toEqual([{ host: "127.0.0.1", spent: "0.031", payments: 3 }]);
      expect(history.budget.day.spent).toBe("0.031");
      expect((await mcp.call("spending_history", { limit: 1 })).structuredContent).toMatchObject({ receipts: [{ amountAtomic: "1000" }] });
      const resource = await mcp.client.readResource({ uri: "x402://receipts" });
      const json = JSON.parse((resource.contents[0] as { text: string }).text);
      expect(json.receipts).toEqual(history.receipts);
    } finally {
      await mcp.close();
    }
  });
});
