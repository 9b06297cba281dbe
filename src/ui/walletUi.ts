/**
 * The wallet's MCP App (the MCP Apps extension, `@modelcontextprotocol/ext-apps` 1.x): one
 * UI resource that wallet_balance and spending_history name in their `_meta`, so a host
 * that renders apps shows the page beside their (unchanged) text result. Only names live
 * here; the page itself is loaded when a host reads the resource, never at start-up.
 */
export const WALLET_UI_URI = "ui://x402-wallet/wallet.html";
export const WALLET_UI_MIME = "text/html;profile=mcp-app";

/** The tool `_meta` that links a tool to the page: `ui.resourceUri`, and the flat key older hosts read. */
export const WALLET_UI_TOOL_META = { ui: { resourceUri: WALLET_UI_URI }, "ui/resourceUri": WALLET_UI_URI };
