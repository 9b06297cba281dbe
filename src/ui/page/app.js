// The MCP App: the same view inside a chat. Its data comes from the wallet_balance and
// spending_history results the host hands over, and from calling those tools back through
// the host; the page itself fetches nothing.
import { App, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-with-deps";
import { render } from "./render.js";

const REFRESH_MS = 15000;
const root = document.getElementById("root");
const state = { live: false, sessionCap: true, walletError: "Loading…" };
const app = new App({ name: "x402-wallet", version: "1" }, {}, { autoResize: true });

function absorb(result) {
  const data = result?.structuredContent;
  if (result?.isError || !data) return;
  if (Array.isArray(data.balances)) state.wallet = data;
  if (Array.isArray(data.receipts)) state.history = data;
}

function theme(context) {
  if (context?.theme === "dark" || context?.theme === "light") document.documentElement.dataset.theme = context.theme;
}

function errorText(result) {
  return (result?.content ?? []).map((c) => (c.type === "text" ? c.text : "")).join("\n") || "The tool failed.";
}

async function refresh() {
  const [wallet, history] = await Promise.allSettled([
    app.callServerTool({ name: "wallet_balance", arguments: {} }),
    app.callServerTool({ name: "spending_history", arguments: { limit: 20 } }),
  ]);
  for (const [outcome, key] of [[wallet, "walletError"], [history, "historyError"]]) {
    if (outcome.status === "fulfilled" && !outcome.value.isError) {
      absorb(outcome.value);
      state[key] = null;
    } else {
      state[key] = outcome.status === "fulfilled" ? errorText(outcome.value) : String(outcome.reason?.message ?? outcome.reason);
    }
  }
  state.live = wallet.status === "fulfilled" && history.status === "fulfilled";
  state.updatedAt = new Date().toISOString();
  render(root, state);
}

app.ontoolresult = (params) => {
  absorb(params);
  render(root, state);
};
app.onhostcontextchanged = theme;
render(root, state);
app
  .connect(new PostMessageTransport(window.parent, window.parent))
  .then(() => {
    theme(app.getHostContext());
    return refresh();
  })
  .then(() => setInterval(() => document.visibilityState === "visible" && refresh().catch(() => undefined), REFRESH_MS))
  .catch((error) => {
    state.historyError = `Could not reach the host: ${error.message ?? error}`;
    render(root, state);
  });

// A sandboxed view cannot open a window itself: the host opens explorer links.
root.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[href]");
  if (!link) return;
  event.preventDefault();
  app.openLink({ url: link.href }).catch(() => undefined);
});
