import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, type Rig } from "../rig/index.js";
import { SERVER_ENTRY, startMcp, writeConfig, type McpSession } from "../e2e/mcpClient.js";
import { launchChromium, screenshot } from "../ui/browser.js";
import { tempHome } from "./run.js";

interface Paid {
  transaction: string;
  explorerUrl: string;
}

/** `x402-wallet-mcp dashboard` in a real Chromium, against the ledger a running stdio server writes. */
describe("x402-wallet-mcp dashboard", () => {
  let rig: Rig;
  let wallet: { privateKey: `0x${string}`; address: `0x${string}` };
  let mcp: McpSession;
  let dashboard: ChildProcessWithoutNullStreams;
  let dashboardStderr = "";
  let url: URL;
  let browser: Browser;
  let page: Page;
  const paid: Paid[] = [];
  const ledger = join(mkdtempSync(join(tmpdir(), "x402-dashboard-")), "ledger.jsonl");

  async function pay(target: string): Promise<Paid> {
    const result = await mcp.call("paid_fetch", { url: target });
    expect(result.isError).toBeFalsy();
    const payment = (result.structuredContent as { payment: Paid & { status: string } }).payment;
    expect(payment.status).toBe("verified");
    return payment;
  }

  beforeAll(async () => {
    rig = await startRig();
    wallet = await rig.newWallet(5_000_000n);
    const config = { networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, hosts: { allowPrivate: true }, ledger };
    mcp = await startMcp({ config, env: { X402_PRIVATE_KEY: wallet.privateKey } });
    paid.push(await pay(`${rig.v2.url}/paid`), await pay(`${rig.v1.url}/paid`));

    const { env } = tempHome();
    dashboard = spawn(process.execPath, [SERVER_ENTRY, "dashboard", "--config", writeConfig(config)], {
      env: { ...env, X402_PRIVATE_KEY: wallet.privateKey },
    });
    dashboard.stderr.on("data", (c: Buffer) => (dashboardStderr += c.toString("utf8")));
    const firstLine = await new Promise<string>((resolve, reject) => {
      let out = "";
      dashboard.stdout.on("data", (c: Buffer) => {
        out += c.toString("utf8");
        if (out.includes("\n")) resolve(out.split("\n")[0]!);
      });
      dashboard.once("exit", (code) => reject(new Error(`dashboard exited (${code}): ${dashboardStderr}`)));
    });
    expect(firstLine).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
    url = new URL(firstLine);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    dashboard?.kill("SIGTERM");
    await mcp?.close();
    await rig?.stop();
  });

  it("shows the address, the balance, 0.02 spent and both receipts with their transactions and explorer links", async () => {
    await page.goto(url.href);
    const receipts = page.getByTestId("receipt");
    await expect.poll(() => receipts.count(), { timeout: 10_000 }).toBe(2);
    expect(await page.getByTestId("address").textContent()).toBe(wallet.address);
    const balance = await rig.balanceOf(wallet.address);
    expect(balance).toBe(5_000_000n - 20_000n);
    expect(await page.getByTestId("balance").textContent()).toBe("4.98 USDC");
    expect(await page.getByTestId("cap-day").getByTestId("spent").textContent()).toBe("0.02");
    expect(await page.getByTestId("cap-day").textContent()).toContain("0.02 of 5.00 USD");
    for (const [i, payment] of [...paid].reverse().entries()) {
      const receipt = receipts.nth(i);
      expect(await receipt.getAttribute("data-transaction")).toBe(payment.transaction);
      expect(await receipt.getAttribute("data-status")).toBe("verified");
      expect(await receipt.textContent()).toContain("0.01 USDC");
      const link = receipt.getByTestId("tx");
      expect(await link.getAttribute("href")).toBe(payment.explorerUrl);
      expect(payment.explorerUrl).toBe(`https://sepolia.basescan.org/tx/${payment.transaction}`);
    }
    // Both rig servers listen on 127.0.0.1: one host, two payments.
    expect(await page.getByTestId("host").count()).toBe(1);
    expect(await page.getByTestId("host").textContent()).toMatch(/^127\.0\.0\.1.*0\.02 USD · 2×$/);
    await screenshot(page, "dashboard.png");
    await page.emulateMedia({ colorScheme: "dark" });
    await page.setViewportSize({ width: 380, height: 800 });
    await screenshot(page, "dashboard-narrow-dark.png");
  });

  it("answers 401 without the token, or with a wrong one, and sends a CSP that allows only its own origin", async () => {
    const bare = `${url.origin}/`;
    expect((await fetch(bare)).status).toBe(401);
    expect((await fetch(`${url.origin}/api/state`)).status).toBe(401);
    expect((await fetch(`${bare}?token=${"A".repeat(43)}`)).status).toBe(401);
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    const csp = ok.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect((await fetch(url, { method: "POST" })).status).toBe(405);
    // A DNS-rebound name pointing at 127.0.0.1 still carries its own Host: refused even with the token.
    const rebound = await new Promise<number>((resolve, reject) => {
      import("node:http").then(({ get }) => get(url, { headers: { host: `evil.example:${url.port}` } }, (res) => resolve(res.statusCode!)).on("error", reject));
    });
    expect(rebound).toBe(421);
  });

  it("shows a payment the running stdio server makes within a few seconds", async () => {
    await page.setViewportSize({ width: 900, height: 900 });
    await page.emulateMedia({ colorScheme: "light" });
    // Another URL: the same one again would be answered from the pay-once cache, unpaid.
    const third = await pay(`${rig.v2.url}/paid?again=1`);
    const started = Date.now();
    await expect.poll(() => page.getByTestId("receipt").first().getAttribute("data-transaction"), { timeout: 8_000, interval: 250 }).toBe(third.transaction);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await page.getByTestId("cap-day").getByTestId("spent").textContent()).toBe("0.03");
    await expect.poll(() => page.getByTestId("balance").textContent(), { timeout: 8_000 }).toBe("4.97 USDC");
  });

  it("shows a payment reconciliation found expired as such, and takes it out of the day", async () => {
    // What `ledger reconcile` appends once the chain proves an authorization expired unused.
    const lines = readFileSync(ledger, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; id: string; url?: string });
    const id = lines.find((l) => l.type === "reserve" && l.url?.endsWith("?again=1"))!.id;
    appendFileSync(ledger, `${JSON.stringify({ type: "expired", id, at: Date.now(), reason: "validBefore passed and authorizationState shows it unused" })}\n`);
    const receipt = page.getByTestId("receipt").first();
    await expect.poll(() => receipt.getAttribute("data-status"), { timeout: 8_000, interval: 250 }).toBe("expired");
    expect(await receipt.textContent()).toContain("expired unused");
    expect(await page.getByTestId("cap-day").getByTestId("spent").textContent()).toBe("0.02");
    await screenshot(page, "dashboard-expired.png");
  });
});
