import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { build } from "esbuild";
import type { Browser, FrameLocator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, type Rig } from "../rig/index.js";
import type { AppHost } from "../ui/appHost.js";
import { launchChromium, screenshot } from "../ui/browser.js";
import { SERVER_ENTRY, writeConfig } from "./mcpClient.js";

// Run in the page by page.evaluate; typed here without the DOM library (see appHost.ts).
declare const window: { host: AppHost; __fromServer?: (json: string) => void };
declare const document: { body: { style: { background: string } } };

interface Paid {
  status: string;
  transaction: string;
  explorerUrl: string;
}

/**
 * The MCP App in a real host: a page built on ext-apps' AppBridge, connected through the MCP
 * client SDK to the real stdio server, renders the UI resource of wallet_balance in a
 * sandboxed iframe after two paid calls on the rig.
 */
describe("wallet_balance and spending_history as an MCP App", () => {
  let rig: Rig;
  let wallet: { privateKey: `0x${string}`; address: `0x${string}` };
  let server: StdioClientTransport;
  let browser: Browser;
  let page: Page;
  let app: FrameLocator;
  const paid: Paid[] = [];
  const moduleTap = join(mkdtempSync(join(tmpdir(), "x402-app-")), "modules.txt");
  // The approval desk (the runtime's bookkeeping of approval links) is not the page: its page server loads on the first link.
  const loaded = () =>
    readFileSync(moduleTap, "utf8")
      .split("\n")
      .filter((u) => /walletAppPage|ext-apps|\/dist\/(ui|dashboard)\//.test(u) && !u.endsWith("/dist/dashboard/approvalDesk.js"))
      .map((u) => u.slice(u.indexOf("/dist/") + 1));

  const hostCall = (name: string, args: Record<string, unknown> = {}) =>
    page.evaluate(([n, a]) => window.host.call(n as string, a as Record<string, unknown>), [name, args] as const);

  beforeAll(async () => {
    rig = await startRig();
    wallet = await rig.newWallet(5_000_000n);
    const config = writeConfig({ networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, hosts: { allowPrivate: true } });
    server = new StdioClientTransport({
      command: process.execPath,
      args: [SERVER_ENTRY, "--config", config],
      env: {
        PATH: process.env.PATH ?? "",
        X402_PRIVATE_KEY: wallet.privateKey,
        NODE_OPTIONS: `--import=${pathToFileURL(resolve(import.meta.dirname, "../cli/moduleTap.mjs")).href}`,
        X402_TEST_MODULE_TAP: moduleTap,
      },
      stderr: "pipe",
    });
    const hostBundle = await build({ entryPoints: [resolve(import.meta.dirname, "../ui/appHost.ts")], bundle: true, format: "iife", platform: "browser", write: false, logLevel: "silent" });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 460, height: 900 } });
    await page.exposeFunction("__toServer", (json: string) => server.send(JSON.parse(json)));
    server.onmessage = (message) => void page.evaluate((json) => window.__fromServer?.(json), JSON.stringify(message));
    await page.setContent(
      `<!doctype html><html><head><style>body{margin:0;background:#eef0f3;font:14px system-ui}#chat{margin:16px;max-width:420px;background:#fff;border-radius:12px;overflow:hidden;box-shadow:0 1px 3px #0002}</style></head><body><div id="chat"></div></body></html>`,
    );
    await page.addScriptTag({ content: hostBundle.outputFiles[0]!.text });
    await server.start();
    await page.evaluate(() => window.host.connect());
    for (const url of [`${rig.v2.url}/paid`, `${rig.v1.url}/paid`]) {
      const result = await hostCall("paid_fetch", { url });
      expect(result.isError).toBeFalsy();
      paid.push((result.structuredContent as { payment: Paid }).payment);
    }
    app = page.frameLocator("#chat iframe");
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await rig?.stop();
  });

  it("both tools name one ui:// resource served as text/html;profile=mcp-app; their text results are unchanged", async () => {
    const tools = await page.evaluate(() => window.host.tools());
    const ui = { ui: { resourceUri: "ui://x402-wallet/wallet.html" }, "ui/resourceUri": "ui://x402-wallet/wallet.html" };
    expect(tools.find((t) => t.name === "wallet_balance")?.meta).toEqual(ui);
    expect(tools.find((t) => t.name === "spending_history")?.meta).toEqual(ui);
    expect(tools.find((t) => t.name === "paid_fetch")?.meta).toBeUndefined();
    // Start-up and the paid calls did not load the page: only reading the resource does.
    expect(loaded()).toEqual(["dist/ui/walletUi.js"]);
    const shown = await page.evaluate(() => window.host.show("wallet_balance", "light"));
    expect(loaded()).toEqual(["dist/ui/walletUi.js", "dist/ui/walletAppPage.generated.js"]);
    expect(shown.uri).toBe("ui://x402-wallet/wallet.html");
    expect(shown.mimeType).toBe("text/html;profile=mcp-app");
    expect(shown.text).toBe(
      [`Wallet ${wallet.address}`, "Base Sepolia (eip155:84532): 4.98 USDC", "Budget: per call 0.10 USD; session 0.02 spent of 1.00 USD, 0.98 left."].join("\n"),
    );
    const history = await hostCall("spending_history");
    expect((history.content[0] as { text: string }).text).toMatch(/^Payments since \S+, newest first:\n- \S+ 0\.01 USDC to 0x[0-9a-fA-F]{40} for http:\/\/127\.0\.0\.1:\d+\/paid \(verified 0x[0-9a-f]{64}\)\n/);
    expect((history as { _meta?: unknown })._meta).toBeUndefined();
  });

  it("shows the address, the balance, 0.02 spent of the session cap and both receipts with their transactions and explorer links", async () => {
    await expect.poll(() => app.getByTestId("receipt").count(), { timeout: 15_000 }).toBe(2);
    expect(await app.getByTestId("address").textContent()).toBe(wallet.address);
    expect(await app.getByTestId("balance").textContent()).toBe("4.98 USDC");
    const session = app.getByTestId("cap-session");
    expect(await session.getByTestId("spent").textContent()).toBe("0.02");
    expect(await session.textContent()).toContain("0.02 of 1.00 USD");
    for (const [i, payment] of [...paid].reverse().entries()) {
      const receipt = app.getByTestId("receipt").nth(i);
      expect(payment.status).toBe("verified");
      expect(await receipt.getAttribute("data-transaction")).toBe(payment.transaction);
      expect(await receipt.getAttribute("data-status")).toBe("verified");
      expect(await receipt.getByTestId("tx").getAttribute("href")).toBe(payment.explorerUrl);
    }
    // The sandbox cannot open a window: the link goes to the host, which opens it.
    await app.getByTestId("tx").first().click();
    await expect.poll(() => page.evaluate(() => window.host.opened)).toEqual([paid[1]!.explorerUrl]);
    await screenshot(page, "mcp-app.png");
    await page.emulateMedia({ colorScheme: "dark" });
    await page.evaluate(() => window.host.setTheme("dark"));
    await page.evaluate(() => (document.body.style.background = "#1b1d21"));
    await expect.poll(() => app.locator("html").getAttribute("data-theme")).toBe("dark");
    await screenshot(page, "mcp-app-dark.png");
  });
});
