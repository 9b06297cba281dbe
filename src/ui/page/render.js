// Draws the wallet view from the wallet_balance and spending_history results. Shared by the
// dashboard and the MCP App; every value from the ledger or a server is set as text, never
// as markup (a resource URL or a server's note is chosen by whoever runs the paid API).

const PALETTE = ["#2f7de1", "#e0822c", "#2ea36b", "#c04fbf", "#d4b21f", "#17a2b8", "#8a63d2"];
const OTHER = "#8b949e";
const DAYS = 30;

/** @param {HTMLElement} root @param {any} state */
export function render(root, state) {
  const budget = state.history?.budget ?? state.wallet?.budget ?? null;
  const sections = [
    header(state),
    walletSection(state),
    budget ? capsSection(budget, state) : null,
    state.history ? chartSection(state.history) : null,
    state.history ? hostsSection(state.history) : null,
    state.history ? receiptsSection(state.history) : errorBox(state.historyError),
  ];
  root.replaceChildren(...sections.filter(Boolean));
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children.flat()) if (child) node.append(child);
  return node;
}

function card(title, ...body) {
  return el("section", { class: "card" }, el("h2", {}, title), ...body);
}

function errorBox(message) {
  return message ? el("p", { class: "error", role: "alert" }, message) : null;
}

function header(state) {
  const time = state.updatedAt ? new Date(state.updatedAt).toLocaleTimeString() : "";
  return el(
    "header",
    {},
    el("h1", {}, "x402 wallet"),
    el("span", { class: "updated", "data-testid": "updated" }, state.live ? el("span", { class: "live", title: "live" }) : null, time ? `updated ${time}` : ""),
  );
}

function walletSection(state) {
  if (!state.wallet) return card("Wallet", errorBox(state.walletError ?? "No wallet information."));
  const rows = state.wallet.balances.map((b) =>
    el(
      "li",
      { "data-network": b.network },
      el("span", { class: "muted" }, `${b.name}`),
      b.balance !== null
        ? el("strong", { class: "balance", "data-testid": "balance" }, `${b.balance} ${b.symbol}`)
        : el("span", { class: "error" }, `unavailable: ${b.error ?? "unknown error"}`),
    ),
  );
  return card(
    "Wallet",
    el("p", { class: "address mono", "data-testid": "address", title: "the paying address (the same on every EVM network)" }, state.wallet.address),
    el("ul", { class: "balances" }, rows),
  );
}

function capsSection(budget, state) {
  const bars = [];
  if (state.sessionCap) bars.push(capBar("This session", budget.session, "session"));
  bars.push(capBar("Last 24 hours", budget.day, "day"));
  for (const agent of state.agents ?? []) bars.push(capBar(`Agent ${agent.name}, last 24 hours`, agent, `agent-${agent.name}`));
  return card("Caps", ...bars, el("p", { class: "muted small" }, `At most ${budget.perCall} USD per call.`));
}

function capBar(label, { spent, limit, remaining }, id) {
  const used = Number(limit) > 0 ? Math.min(1, Number(spent) / Number(limit)) : 1;
  const fill = el("div", { class: `fill${used >= 0.9 ? " high" : ""}` });
  fill.style.width = `${(used * 100).toFixed(1)}%`;
  return el(
    "div",
    { class: "cap", "data-testid": `cap-${id}` },
    el("div", { class: "cap-label" }, el("span", {}, label), el("span", { class: "mono" }, el("b", { "data-testid": "spent" }, spent), ` of ${limit} USD`)),
    el("div", { class: "bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": limit, "aria-valuenow": spent, "aria-label": label }, fill),
    el("div", { class: "muted small" }, remaining !== undefined ? `${remaining} USD left` : ""),
  );
}

function hostColors(byHost) {
  const sorted = [...byHost].sort((a, b) => Number(b.spent) - Number(a.spent));
  const colors = new Map();
  sorted.forEach((h, i) => colors.set(h.host, PALETTE[i] ?? OTHER));
  return colors;
}

function chartSection(history) {
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const days = Array.from({ length: DAYS }, (_, i) => new Date(today - (DAYS - 1 - i) * 86400_000).toISOString().slice(0, 10));
  const colors = hostColors(history.totals.byHost);
  const perDay = new Map(days.map((d) => [d, []]));
  for (const row of history.totals.byDayAndHost ?? []) perDay.get(row.day)?.push(row);
  const max = Math.max(0, ...days.map((d) => perDay.get(d).reduce((n, r) => n + Number(r.spent), 0)));
  const width = 300;
  const height = 100;
  const gap = 2;
  const barWidth = width / DAYS - gap;
  const scale = max > 0 ? height / max : 0;
  const bars = days.flatMap((day, i) => {
    let y = height;
    return perDay
      .get(day)
      .sort((a, b) => Number(b.spent) - Number(a.spent))
      .map((row) => {
        const h = Math.max(1, Number(row.spent) * scale);
        y -= h;
        return svg("rect", { x: (i * width) / DAYS + gap / 2, y, width: barWidth, height: h, fill: colors.get(row.host) ?? OTHER }, svg("title", {}, `${day} ${row.host}: ${row.spent} USD`));
      });
  });
  // The bars stretch to the card's width; the labels stay HTML so that they never stretch with them.
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", class: "chart", role: "img", "aria-label": `USD spent per day over the last ${DAYS} days, stacked by host` },
    bars,
  );
  const axis = el("div", { class: "axis small muted" }, el("span", {}, days[0].slice(5)), el("span", {}, "today"));
  const peak = el("div", { class: "small muted" }, max > 0 ? `highest day: ${formatUsd(max)} USD` : "nothing spent");
  const legend = el(
    "ul",
    { class: "legend" },
    [...colors].slice(0, PALETTE.length).map(([host, color]) => {
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = color;
      return el("li", {}, swatch, host);
    }),
  );
  return card(`Spent per day, last ${DAYS} days`, peak, chart, axis, colors.size ? legend : null);
}

function hostsSection(history) {
  const hosts = [...history.totals.byHost].sort((a, b) => Number(b.spent) - Number(a.spent)).slice(0, 5);
  if (hosts.length === 0) return null;
  const max = Number(hosts[0].spent) || 1;
  const colors = hostColors(history.totals.byHost);
  return card(
    "Top hosts",
    el(
      "ul",
      { class: "hosts" },
      hosts.map((h) => {
        const fill = el("div", { class: "fill" });
        fill.style.width = `${((Number(h.spent) / max) * 100).toFixed(1)}%`;
        fill.style.background = colors.get(h.host) ?? OTHER;
        return el(
          "li",
          { "data-testid": "host" },
          el("div", { class: "cap-label" }, el("span", { class: "host" }, h.host), el("span", { class: "mono" }, `${h.spent} USD · ${h.payments}×`)),
          el("div", { class: "bar thin" }, fill),
        );
      }),
    ),
  );
}

function receiptsSection(history) {
  if (history.receipts.length === 0) return card("Latest payments", el("p", { class: "muted" }, `No payments since ${history.since.slice(0, 10)}.`));
  return card(
    "Latest payments",
    el(
      "ol",
      { class: "receipts" },
      history.receipts.slice(0, 20).map((r) => {
        const host = hostOf(r.resource);
        const tx = r.transaction
          ? safeHref(r.explorerUrl)
            ? el("a", { href: safeHref(r.explorerUrl), target: "_blank", rel: "noopener noreferrer", class: "mono tx", "data-testid": "tx", title: r.transaction }, shortHash(r.transaction))
            : el("span", { class: "mono tx", "data-testid": "tx", title: r.transaction }, shortHash(r.transaction))
          : el("span", { class: "muted small" }, "no transaction");
        return el(
          "li",
          { class: "receipt", "data-testid": "receipt", "data-status": r.status, "data-transaction": r.transaction ?? "" },
          el("div", { class: "row" }, el("strong", { class: "amount" }, `${r.amount} ${r.symbol}`), el("span", { class: `status status-${r.status}` }, statusLabel(r.status))),
          el("div", { class: "row" }, el("span", { class: "host", title: r.resource }, host), tx),
          el("div", { class: "muted small" }, `${r.paidAt.slice(0, 16).replace("T", " ")} UTC · ${r.network}`),
          r.note ? el("div", { class: "note small" }, r.note) : null,
        );
      }),
    ),
  );
}

function statusLabel(status) {
  return status === "verified" ? "✓ verified" : status === "mismatch" ? "✗ mismatch" : status === "rejected" ? "✗ rejected" : status === "unconfirmed" ? "? unconfirmed" : status === "expired" ? "expired unused" : status;
}

function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Only an http(s) explorer link becomes a link: anything else could run script on click. */
function safeHref(url) {
  try {
    return url && ["https:", "http:"].includes(new URL(url).protocol) ? url : null;
  } catch {
    return null;
  }
}

function shortHash(hash) {
  return hash.length > 18 ? `${hash.slice(0, 10)}…${hash.slice(-6)}` : hash;
}

function formatUsd(value) {
  return value.toFixed(value < 0.01 ? 4 : 2);
}
