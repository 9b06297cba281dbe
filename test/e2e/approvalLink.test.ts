import { request as httpRequest } from "node:http";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConfigInput } from "../../src/config/schema.js";
import { send402v2, startHostileServer, type HostileServer } from "../hostile/hostileServer.js";
import { startRig, type Rig, type RigWallet } from "../rig/index.js";
import { launchChromium, screenshot } from "../ui/browser.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";

const LINK = /http:\/\/127\.0\.0\.1:\d+\/approve\?token=[\w-]{43}/;

/** Approval in clients that cannot ask (a link the person opens) and in URL-elicitation clients, in Chromium, on the rig. */
describe("approval through the wallet's page", () => {
  let rig: Rig;
  let browser: Browser;
  let page: Page;

  const config = (extra: Partial<ConfigInput> = {}): ConfigInput => ({
    networks: ["eip155:84532"],
    rpc: { "eip155:84532": rig.rpcUrl },
    hosts: { allowPrivate: true },
    approval: { above: "0.005" },
    ...extra,
  });

  async function linkOf(mcp: McpSession, url: string): Promise<string> {
    const text = textOf(await mcp.call("paid_fetch", { url }));
    expect(text).toMatch(/^\[APPROVAL_REQUIRED\] .*Show the person this link/);
    return LINK.exec(text)![0];
  }

  async function spent(mcp: McpSession): Promise<string> {
    return ((await mcp.call("wallet_balance")).structuredContent as { budget: { session: { spent: string } } }).budget.session.spent;
  }

  beforeAll(async () => {
    rig = await startRig();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 720, height: 760 } });
  });
  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
  });

  describe("a client without elicitation", () => {
    let wallet: RigWallet;
    let mcp: McpSession;
    beforeAll(async () => {
      wallet = await rig.newWallet(1_000_000n);
      mcp = await startMcp({ config: config(), env: { X402_PRIVATE_KEY: wallet.privateKey } });
    });
    afterAll(async () => {
      await mcp?.close();
    });

    it("pays above the threshold only after the person clicks Approve, once, and any other call still asks", async () => {
      const url = `${rig.v2.url}/paid`;
      const link = await linkOf(mcp, url);
      // The reservation taken before asking is given back: nothing counts, nothing moved.
      expect(await spent(mcp)).toBe("0.00");
      expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n);
      // Asking again before the person answered shows the same link.
      expect(await linkOf(mcp, url)).toBe(link);

      await page.goto(link);
      expect(await page.getByTestId("amount").textContent()).toBe("0.01 USDC (0.01 USD)");
      expect(await page.getByTestId("url").textContent()).toBe(`GET ${url}`);
      expect(await page.getByTestId("payee").textContent()).toBe(rig.payTo);
      expect(await page.getByTestId("network").textContent()).toBe("Base Sepolia eip155:84532");
      expect(await page.getByTestId("token").textContent()).toMatch(/^USDC 0x[0-9a-fA-F]{40}$/);
      expect(await page.getByTestId("why").textContent()).toContain("above 0.005 USD, the owner's approval.above");
      await page.emulateMedia({ colorScheme: "light" });
      await screenshot(page, "approval.png");
      await page.emulateMedia({ colorScheme: "dark" });
      await screenshot(page, "approval-dark.png");
      await page.emulateMedia({ colorScheme: "light" });

      // Another URL is another payment: it gets its own link, the first one does not cover it.
      const other = `${rig.v2.url}/paid?other=1`;
      expect(await linkOf(mcp, other)).not.toBe(link);

      await page.getByTestId("approve").click();
      expect(await page.getByTestId("result").textContent()).toBe("Approved");

      // Two retries at once: the one approval pays exactly one of them.
      const results = await Promise.all([mcp.call("paid_fetch", { url }), mcp.call("paid_fetch", { url })]);
      const paid = results.filter((r) => !r.isError && (r.structuredContent as { cached: boolean }).cached === false);
      expect(paid).toHaveLength(1);
      expect((paid[0]!.structuredContent as { payment: { status: string } }).payment.status).toBe("verified");
      for (const r of results.filter((r) => r !== paid[0])) {
        expect(r.isError ? textOf(r) : (r.structuredContent as { cached: boolean }).cached).toSatisfy((v: unknown) => v === true || /^\[APPROVAL_REQUIRED\]/.test(String(v)));
      }
      expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n - 10_000n);
      // The approval was used up: the other URL still asks, and so would this one (it is cached now).
      await linkOf(mcp, other);
      expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n - 10_000n);
    });

    it("refuses the retry after Decline (APPROVAL_DENIED), nothing paid", async () => {
      const url = `${rig.v2.url}/paid?declined=1`;
      const link = await linkOf(mcp, url);
      await page.goto(link);
      await page.getByTestId("decline").click();
      expect(await page.getByTestId("result").textContent()).toBe("Declined");
      const before = await rig.balanceOf(wallet.address);
      expect(textOf(await mcp.call("paid_fetch", { url }))).toMatch(/^\[APPROVAL_DENIED\] .*declined it \(on the approval page\)/);
      expect(await rig.balanceOf(wallet.address)).toBe(before);
      // The page cannot be turned into a yes afterwards.
      await page.goto(link);
      expect(await page.getByTestId("result").textContent()).not.toBe("Approved");
    });

    it("the agent cannot open or answer the page through paid_fetch, even with hosts.allowPrivate", async () => {
      const url = `${rig.v2.url}/paid?agent=1`;
      const link = new URL(await linkOf(mcp, url));
      for (const target of [link.href, link.href.replace("127.0.0.1", "localhost")]) {
        const text = textOf(await mcp.call("paid_fetch", { url: target }));
        expect(text).toMatch(/^\[HOST_NOT_ALLOWED\] .*the wallet's own approval page/);
      }
      const post = await mcp.call("paid_fetch", {
        url: `${link.origin}/approve`,
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: link.origin },
        body: `token=${link.searchParams.get("token")}&csrf=x&decision=approve`,
      });
      expect(textOf(post)).toMatch(/^\[HOST_NOT_ALLOWED\]/);
      // Outside paid_fetch too: without the page's Origin and CSRF token, no answer is taken.
      const form = `token=${link.searchParams.get("token")}&csrf=guess&decision=approve`;
      expect((await postForm(link, form, {})).status).toBe(403);
      expect((await postForm(link, form, { origin: link.origin })).status).toBe(403);
      expect((await postForm(link, form, { origin: link.origin, host: `evil.example:${link.port}` })).status).toBe(421);
      expect((await fetch(`${link.origin}/approve?token=${"A".repeat(43)}`)).status).toBe(410);
      // Still waiting for the person.
      expect(await linkOf(mcp, url)).toBe(link.href);
    });
  });

  it("is bound to the amount: a price raised after the approval asks again and nothing is signed", async () => {
    let price = "20000";
    const server: HostileServer = await startHostileServer({
      "/priced": (_req, res) =>
        send402v2(res, [
          { scheme: "exact", network: "eip155:84532", amount: price, asset: "0x036CbD53842c5426634e7929541eC2318f3dCF7e", payTo: rig.payTo, maxTimeoutSeconds: 60, extra: { name: "USDC", version: "2" } },
        ]),
    });
    const wallet = await rig.newWallet(1_000_000n);
    const mcp = await startMcp({ config: config(), env: { X402_PRIVATE_KEY: wallet.privateKey } });
    try {
      const link = await linkOf(mcp, `${server.url}/priced`);
      await page.goto(link);
      expect(await page.getByTestId("amount").textContent()).toBe("0.02 USDC (0.02 USD)");
      await page.getByTestId("approve").click();
      price = "30000";
      expect(await linkOf(mcp, `${server.url}/priced`)).not.toBe(link);
      expect(server.totalPayments()).toBe(0);
    } finally {
      await mcp.close();
      await server.close();
    }
  });

  it("refuses the retry once the link expired (approval.linkSeconds), and the page says so", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const mcp = await startMcp({ config: config({ approval: { above: "0.005", linkSeconds: 5 } }), env: { X402_PRIVATE_KEY: wallet.privateKey } });
    try {
      const url = `${rig.v2.url}/paid?late=1`;
      const link = await linkOf(mcp, url);
      await page.goto(link);
      await new Promise((resolve) => setTimeout(resolve, 5_200));
      await page.getByTestId("approve").click();
      expect(await page.getByTestId("result").textContent()).toMatch(/expired/);
      expect(textOf(await mcp.call("paid_fetch", { url }))).toMatch(/^\[APPROVAL_DENIED\] .*the approval link expired/);
      expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n);
    } finally {
      await mcp.close();
    }
  });

  it("a URL-elicitation client is sent the page and the call pays once the person approves there", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const asked: { url: string; mode: string }[] = [];
    const mcp = await startMcp({
      config: config(),
      env: { X402_PRIVATE_KEY: wallet.privateKey },
      elicitation: { url: {} },
      onElicit: async (params) => {
        const { url, mode } = params as { url: string; mode: string };
        asked.push({ url, mode });
        await page.goto(url);
        await page.getByTestId("approve").click();
        await page.getByTestId("result").waitFor();
        return { action: "accept" };
      },
    });
    try {
      const result = await mcp.call("paid_fetch", { url: `${rig.v2.url}/paid?url-mode=1` });
      expect(result.isError).toBeFalsy();
      expect((result.structuredContent as { payment: { status: string } }).payment.status).toBe("verified");
      expect(asked).toEqual([{ url: expect.stringMatching(LINK), mode: "url" }]);
      expect(await rig.balanceOf(wallet.address)).toBe(1_000_000n - 10_000n);
      // The link served that call only: opening it again shows nothing to approve.
      expect((await fetch(asked[0]!.url)).status).toBe(410);
    } finally {
      await mcp.close();
    }
  });
});

function postForm(link: URL, body: string, headers: Record<string, string>): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${link.origin}/approve`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode! });
    });
    req.on("error", reject);
    req.end(body);
  });
}
