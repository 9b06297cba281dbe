import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ROUTES, startRig, type Rig } from "../rig/index.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";

/**
 * The opt-in fast path pays a recently paid URL up front. Correctness only (timings are in
 * bench/): a changed price falls back to the normal path and the chain moves once.
 */
describe("fast path", () => {
  let rig: Rig;
  let proxy: Server;
  let proxyUrl: string;
  let target = "/paid";
  /** Answer a paid request with the upstream's unpaid 402: the same price, refused. */
  let refusePaid = false;
  const seen: { paid: boolean }[] = [];

  beforeAll(async () => {
    rig = await startRig({
      routes: [...DEFAULT_ROUTES, { method: "GET", path: "/two-cents", price: "$0.02", respond: (_req, res) => void res.json({ data: "two cents" }) }],
    });
    // A front whose price changes under the same URL, by forwarding to one paid route or another.
    proxy = createServer(async (req, res) => {
      seen.push({ paid: Boolean(req.headers["payment-signature"]) });
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => k !== "host" && !(refusePaid && k === "payment-signature")),
      ) as Record<string, string>;
      const upstream = await fetch(`${rig.v2.url}${target}`, { headers });
      res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
      res.end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/item`;
  });
  afterAll(async () => {
    proxy?.close();
    await rig?.stop();
  });

  async function session(fastPath: boolean, privateKey: `0x${string}`): Promise<McpSession> {
    return startMcp({
      config: {
        networks: ["eip155:84532"],
        rpc: { "eip155:84532": rig.rpcUrl },
        hosts: { allowPrivate: true },
        content: { payOnceSeconds: 0 },
        fastPath,
      },
      env: { X402_PRIVATE_KEY: privateKey },
    });
  }

  it("pays a known price on the first request: one round trip, one payment", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const mcp = await session(true, wallet.privateKey);
    try {
      target = "/paid";
      await mcp.call("paid_fetch", { url: proxyUrl });
      seen.length = 0;
      const again = await mcp.call("paid_fetch", { url: proxyUrl });
      expect((again.structuredContent as any).payment.status).toBe("verified");
      expect(seen).toEqual([{ paid: true }]);
      expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n - 20_000n);
    } finally {
      await mcp.close();
    }
  });

  it("falls back once when the price changed, and the chain moves once", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const mcp = await session(true, wallet.privateKey);
    try {
      target = "/paid";
      await mcp.call("paid_fetch", { url: proxyUrl });
      target = "/two-cents";
      seen.length = 0;
      const changed = await mcp.call("paid_fetch", { url: proxyUrl });
      const out = changed.structuredContent as any;
      expect(out.body).toContain("two cents");
      expect(out.payment).toMatchObject({ amountAtomic: "20000", status: "verified" });
      // Pre-signed 0.01 refused with a 402, then the normal path: one more request, paid at 0.02.
      expect(seen).toEqual([{ paid: true }, { paid: true }]);
      expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n - 10_000n - 20_000n);
      // The refused pre-signed authorization still counts: it could be settled until it expires.
      const budget = ((await mcp.call("wallet_balance")).structuredContent as any).budget;
      expect(budget.session.spent).toBe("0.04");
    } finally {
      await mcp.close();
    }
  });

  it("stops with PAYMENT_REJECTED when the up-front payment is refused at the same price: one signature, said exactly", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const mcp = await session(true, wallet.privateKey);
    try {
      target = "/paid";
      await mcp.call("paid_fetch", { url: proxyUrl });
      refusePaid = true;
      seen.length = 0;
      const text = textOf(await mcp.call("paid_fetch", { url: proxyUrl }));
      expect(seen).toEqual([{ paid: true }]);
      expect(text).toMatch(/^\[PAYMENT_REJECTED\] /);
      expect(text.toLowerCase()).toContain(`0.01 usdc to ${rig.payTo.toLowerCase()} on base sepolia (eip155:84532)`);
      expect(text).toMatch(/an authorization valid until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, was sent/);
      expect(text.match(/valid until/g)).toHaveLength(1);
      // Only the first call moved money; the refused authorization counts until it expires.
      expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n - 10_000n);
      const budget = ((await mcp.call("wallet_balance")).structuredContent as any).budget;
      expect(budget.session.spent).toBe("0.02");
      // The refused price is forgotten: the next call asks first.
      refusePaid = false;
      seen.length = 0;
      await mcp.call("paid_fetch", { url: proxyUrl });
      expect(seen).toEqual([{ paid: false }, { paid: true }]);
    } finally {
      refusePaid = false;
      await mcp.close();
    }
  });

  it("is off by default: a repeat call probes first", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const mcp = await session(false, wallet.privateKey);
    try {
      target = "/paid";
      await mcp.call("paid_fetch", { url: proxyUrl });
      seen.length = 0;
      expect(textOf(await mcp.call("paid_fetch", { url: proxyUrl }))).toMatch(/^\{/);
      expect(seen).toEqual([{ paid: false }, { paid: true }]);
    } finally {
      await mcp.close();
    }
  });
});
