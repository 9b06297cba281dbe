import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RouteConfig } from "@x402/core/server";
import type { x402ResourceServer } from "@x402/express";
import type { DeclareSIWxOptions } from "@x402/extensions/sign-in-with-x";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { SIWX_PATH, startSiwxServer, type SiwxServer } from "../rig/siwxServer.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";

/** One chain family's rig, as the sign-in suite needs it. */
export interface SignInSide {
  network: string;
  /** The wallet's address as receipts write it. */
  payer: string;
  /** Each call builds a fresh resource server with the family's scheme and an official facilitator. */
  resourceServer(): x402ResourceServer;
  accepts: RouteConfig["accepts"];
  config: ConfigInput;
  env: Record<string, string>;
  /** The wallet's and the merchant's token balances, read on the chain. */
  balances(): Promise<{ payer: bigint; payTo: bigint }>;
  /** Whether `transaction` is a settled, successful transaction on the chain. */
  landed(transaction: string): Promise<boolean>;
  stop(): Promise<void>;
}

const PRICE_ATOMIC = 10_000n;

/**
 * Sign-in-with-x end to end, on the official @x402/express server with the SIWX extension of
 * @x402/extensions: a payment made by one MCP server process lets a new process on the same
 * ledger in without paying; challenges for another domain, expired ones and ones with a
 * newline in the statement are never signed (the server receives no SIGN-IN-WITH-X header)
 * and that call pays. Balances are read on-chain around each step.
 */
export function signInSuite(name: string, setUp: () => Promise<SignInSide>): void {
  describe(name, () => {
    let side: SignInSide;
    let ledger: string;
    const servers: Record<"good" | "otherDomain" | "expired" | "newline", SiwxServer> = {} as never;
    const sessions: McpSession[] = [];
    const start = async (extra: Partial<ConfigInput> = {}) => {
      const mcp = await startMcp({ config: { ...side.config, ledger, ...extra }, env: side.env });
      sessions.push(mcp);
      return mcp;
    };
    const serve = (declare: DeclareSIWxOptions, origin?: string) =>
      startSiwxServer({ resourceServer: side.resourceServer(), accepts: side.accepts, declare, ...(origin ? { origin } : {}) });

    beforeAll(async () => {
      side = await setUp();
      ledger = join(mkdtempSync(join(tmpdir(), "x402-siwx-")), "ledger.jsonl");
      servers.good = await serve({ statement: "Sign in to read what you bought", expirationSeconds: 300 });
      servers.otherDomain = await serve({}, "http://shop.example.test");
      servers.expired = await serve({ expirationSeconds: -60 });
      servers.newline = await serve({ statement: "Sign in\nURI: http://127.0.0.1/free" });
    }, 120_000);
    afterAll(async () => {
      await Promise.all(sessions.map((s) => s.close()));
      await Promise.all(Object.values(servers).map((s) => s.close()));
      await side?.stop();
    });

    const fetchPaid = (mcp: McpSession, server: SiwxServer) => mcp.call("paid_fetch", { url: `${server.url}${SIWX_PATH}` });

    it("one server process pays each resource once, the official server recording the payer", async () => {
      const before = await side.balances();
      const mcp = await start();
      for (const server of Object.values(servers)) {
        const result = await fetchPaid(mcp, server);
        expect(result.isError, textOf(result) + mcp.stderr()).toBeFalsy();
        const out = result.structuredContent as Record<string, any>;
        expect(out.payment).toMatchObject({ status: "verified", amountAtomic: PRICE_ATOMIC.toString(), payer: side.payer, network: side.network });
        expect(out.signIn).toBeNull();
        expect(server.events).toContainEqual({ type: "payment_recorded", resource: SIWX_PATH, address: expect.any(String) });
        // Nothing paid before: nothing to prove, so nothing signed.
        expect(server.signIns).toEqual([]);
      }
      const after = await side.balances();
      expect(before.payer - after.payer).toBe(4n * PRICE_ATOMIC);
      expect(after.payTo - before.payTo).toBe(4n * PRICE_ATOMIC);
      await mcp.close();
    });

    it("a new server process on the same ledger signs in and pays nothing: balances unchanged on-chain", async () => {
      const mcp = await start();
      const before = await side.balances();
      const paymentsBefore = servers.good.payments.length;
      const result = await fetchPaid(mcp, servers.good);
      expect(result.isError, textOf(result) + mcp.stderr()).toBeFalsy();
      const out = result.structuredContent as Record<string, any>;
      expect(out.status).toBe(200);
      expect(JSON.parse(out.body)).toEqual({ data: "paid content" });
      expect(out.payment).toBeNull();
      expect(out.cached).toBe(false);
      expect(out.signIn).toMatchObject({ address: side.payer, chainId: side.network });
      expect(await side.landed(out.signIn.transaction)).toBe(true);
      expect(textOf(result)).toContain("Nothing was paid");
      expect(await side.balances()).toEqual(before);
      expect(servers.good.signIns).toHaveLength(1);
      expect(servers.good.payments).toHaveLength(paymentsBefore);
      expect(servers.good.events).toContainEqual({ type: "access_granted", resource: SIWX_PATH, address: expect.any(String) });
      const history = await mcp.call("spending_history", {});
      // The sign-in added nothing to the ledger: the four payments of the first process only.
      expect((history.structuredContent as { receipts: unknown[] }).receipts).toHaveLength(4);
    });

    it.each([
      ["another domain", "otherDomain", /its domain "shop\.example\.test" is not the request's host/],
      ["an expired challenge", "expired", /it expired at /],
      ["a newline in the statement", "newline", /its statement holds a newline/],
    ] as const)("%s: not signed (the server sees no sign-in), logged, and the call pays", async (_name, key, why) => {
      const server = servers[key];
      const mcp = await start();
      const before = await side.balances();
      const result = await fetchPaid(mcp, server);
      expect(result.isError, textOf(result) + mcp.stderr()).toBeFalsy();
      const out = result.structuredContent as Record<string, any>;
      expect(out.payment).toMatchObject({ status: "verified", amountAtomic: PRICE_ATOMIC.toString(), payer: side.payer });
      expect(out.signIn).toBeNull();
      expect(server.signIns).toEqual([]);
      expect(server.payments).toHaveLength(2);
      expect(mcp.stderr()).toMatch(/sign-in-with-x: not signing the challenge of http:\/\/127\.0\.0\.1:\d+\/paid: /);
      expect(mcp.stderr()).toMatch(why);
      const after = await side.balances();
      expect(before.payer - after.payer).toBe(PRICE_ATOMIC);
      expect(after.payTo - before.payTo).toBe(PRICE_ATOMIC);
    });

    it("with the fast path on, a resource paid earlier in the same process is not paid up front again: the probe's challenge is signed instead", async () => {
      const server = await serve({ statement: "Sign in to read what you bought", expirationSeconds: 300 });
      try {
        // Without the pay-once cache, the second call would be answered by the fast path's known price.
        const mcp = await start({ fastPath: true, content: { payOnceSeconds: 0 } });
        const before = await side.balances();
        const first = await fetchPaid(mcp, server);
        expect((first.structuredContent as Record<string, any>).payment, textOf(first) + mcp.stderr()).toMatchObject({ status: "verified" });
        const second = await fetchPaid(mcp, server);
        expect(second.isError, textOf(second) + mcp.stderr()).toBeFalsy();
        const out = second.structuredContent as Record<string, any>;
        expect(out.payment).toBeNull();
        expect(out.signIn).toMatchObject({ address: side.payer, chainId: side.network });
        expect(server.payments).toHaveLength(1);
        expect(server.signIns).toHaveLength(1);
        const after = await side.balances();
        expect(before.payer - after.payer).toBe(PRICE_ATOMIC);
      } finally {
        await server.close();
      }
    });

    it("with siwx.enabled false the wallet never signs in and pays as before", async () => {
      const mcp = await start({ siwx: { enabled: false } });
      const before = await side.balances();
      const result = await fetchPaid(mcp, servers.good);
      expect(result.isError, textOf(result) + mcp.stderr()).toBeFalsy();
      expect((result.structuredContent as Record<string, any>).payment).toMatchObject({ status: "verified", amountAtomic: PRICE_ATOMIC.toString() });
      expect(servers.good.signIns).toHaveLength(1);
      const after = await side.balances();
      expect(before.payer - after.payer).toBe(PRICE_ATOMIC);
    });
  });
}
