import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { startRig, type Rig } from "../rig/index.js";
import { startMcp, textOf } from "./mcpClient.js";

/** Caps refuse before anything is signed, and hold under parallel calls (checked on-chain). */
describe("spending caps", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const configFor = (budget: ConfigInput["budget"]): ConfigInput => ({
    networks: ["eip155:84532"],
    rpc: { "eip155:84532": rig.rpcUrl },
    hosts: { allowPrivate: true },
    budget,
  });

  async function withServer<T>(budget: ConfigInput["budget"], run: (mcp: Awaited<ReturnType<typeof startMcp>>, address: `0x${string}`) => Promise<T>) {
    const wallet = await rig.newWallet(5_000_000n);
    const mcp = await startMcp({ config: configFor(budget), env: { X402_PRIVATE_KEY: wallet.privateKey } });
    try {
      return await run(mcp, wallet.address);
    } finally {
      await mcp.close();
    }
  }

  it("refuses a price over the per-call limit and signs nothing", async () => {
    await withServer({ perCall: "0.10" }, async (mcp, address) => {
      const result = await mcp.call("paid_fetch", { url: `${rig.v2.url}/expensive` });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(
        /^\[PRICE_ABOVE_CALL_LIMIT\] .*costs 0\.50 USD; the per-call limit is 0\.10 USD\. Raise budget\.perCall/,
      );
      expect(await rig.balanceOf(address)).toBe(5_000_000n);
    });
  });

  it("pays a price exactly at the per-call limit and refuses one a micro-dollar above it", async () => {
    await withServer({ perCall: "0.01" }, async (mcp, address) => {
      expect((await mcp.call("paid_fetch", { url: `${rig.v2.url}/paid` })).isError).toBeFalsy();
      expect(await rig.balanceOf(address)).toBe(5_000_000n - 10_000n);
    });
    await withServer({ perCall: "0.009999" }, async (mcp, address) => {
      expect(textOf(await mcp.call("paid_fetch", { url: `${rig.v2.url}/paid` }))).toMatch(/^\[PRICE_ABOVE_CALL_LIMIT\]/);
      expect(await rig.balanceOf(address)).toBe(5_000_000n);
    });
  });

  it("lets max_payment lower the limit for one call", async () => {
    await withServer({ perCall: "0.10" }, async (mcp, address) => {
      const refused = await mcp.call("paid_fetch", { url: `${rig.v1.url}/paid`, max_payment: "0.005" });
      expect(textOf(refused)).toMatch(/^\[PRICE_ABOVE_CALL_LIMIT\].*set by max_payment/);
      const paid = await mcp.call("paid_fetch", { url: `${rig.v1.url}/paid`, max_payment: "0.01" });
      expect(paid.isError).toBeFalsy();
      expect(await rig.balanceOf(address)).toBe(5_000_000n - 10_000n);
    });
  });

  it("refuses once the session budget is spent", async () => {
    await withServer({ perSession: "0.015" }, async (mcp, address) => {
      expect((await mcp.call("paid_fetch", { url: `${rig.v2.url}/paid` })).isError).toBeFalsy();
      const second = await mcp.call("paid_fetch", { url: `${rig.v1.url}/paid` });
      expect(textOf(second)).toMatch(/^\[SESSION_BUDGET_EXCEEDED\] .*costs 0\.01 USD, but only 0\.005 USD of this session's 0\.015 USD budget is left/);
      expect(await rig.balanceOf(address)).toBe(5_000_000n - 10_000n);
    });
  });

  it("12 parallel calls against a budget for 5: exactly 5 settle on-chain", async () => {
    await withServer({ perSession: "0.05" }, async (mcp, address) => {
      const payToBefore = await rig.balanceOf(rig.payTo);
      const results = await Promise.all(Array.from({ length: 12 }, () => mcp.call("paid_fetch", { url: `${rig.v2.url}/paid` })));
      const settled = results.filter((r) => (r.structuredContent as any)?.payment?.status === "verified");
      const refused = results.filter((r) => textOf(r).startsWith("[SESSION_BUDGET_EXCEEDED]"));
      expect(settled).toHaveLength(5);
      expect(refused).toHaveLength(7);
      expect(new Set(settled.map((r) => (r.structuredContent as any).payment.transaction)).size).toBe(5);
      expect(await rig.balanceOf(address)).toBe(5_000_000n - 50_000n);
      expect((await rig.balanceOf(rig.payTo)) - payToBefore).toBe(50_000n);
    });
  });
});
