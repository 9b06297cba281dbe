import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WALLET_UI_MIME, WALLET_UI_URI } from "../ui/walletUi.js";

/** Serves the MCP App's page; its bundle (ext-apps' App included) is imported on the first read only. */
export function registerWalletUi(server: McpServer): void {
  server.registerResource(
    "wallet_ui",
    WALLET_UI_URI,
    {
      title: "Wallet view",
      description: "The wallet's balance, caps, spend over 30 days and latest receipts, as an MCP App for wallet_balance and spending_history.",
      mimeType: WALLET_UI_MIME,
    },
    async (uri) => {
      const { WALLET_APP_PAGE } = await import("../ui/walletAppPage.generated.js");
      // No `csp` domains: the page fetches nothing, so the host's default (no network) fits.
      return { contents: [{ uri: uri.href, mimeType: WALLET_UI_MIME, text: WALLET_APP_PAGE.html, _meta: { ui: { prefersBorder: true } } }] };
    },
  );
}
