// The local dashboard's page: reads /api/state of the server that served it, every few seconds.
import { render } from "./render.js";

const POLL_MS = 2000;
const token = new URLSearchParams(location.search).get("token") ?? "";
const root = document.getElementById("root");
let last = { live: false, sessionCap: false };

async function poll() {
  try {
    const response = await fetch(`/api/state?token=${encodeURIComponent(token)}`, { cache: "no-store" });
    if (!response.ok) throw new Error(response.status === 401 ? "This link's token is wrong or missing: open the URL the dashboard command printed." : `The dashboard answered ${response.status}.`);
    last = { ...(await response.json()), live: true, sessionCap: false };
  } catch (error) {
    last = { ...last, live: false, historyError: last.history ? null : String(error.message ?? error) };
  }
  render(root, last);
  setTimeout(poll, POLL_MS);
}
poll();
