import { createHash } from "node:crypto";
import { serverDescription } from "../policy/approval.js";
import type { ApprovalLink } from "../policy/approvalLinks.js";

/**
 * The approval page: plain HTML and a form, no script, so nothing on it can be driven but
 * its two buttons. The wallet's own facts come first; the server's description last,
 * labelled as unverified.
 */
const STYLE = `
:root { color-scheme: light dark; --bg: #f6f8fa; --card: #fff; --text: #1f2328; --muted: #656d76; --line: #d0d7de; --ok: #1a7f37; --bad: #cf222e; --warn-bg: #fff8c5; --warn: #7d4e00; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --card: #161b22; --text: #e6edf3; --muted: #8d96a0; --line: #30363d; --ok: #2ea043; --bad: #da3633; --warn-bg: #3a2e05; --warn: #e3b341; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 560px; margin: 24px auto; padding: 0 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 18px 20px; }
h1 { font-size: 19px; margin: 0 0 4px; }
.amount { font-size: 28px; font-weight: 650; margin: 8px 0 14px; }
.muted { color: var(--muted); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 14px; margin: 0 0 14px; }
dt { color: var(--muted); }
dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.why { background: var(--warn-bg); color: var(--warn); border-radius: 8px; padding: 8px 12px; margin: 0 0 16px; }
form { display: flex; gap: 10px; flex-wrap: wrap; }
button { font: inherit; font-weight: 600; border-radius: 8px; padding: 9px 22px; cursor: pointer; border: 1px solid var(--line); background: var(--card); color: var(--text); }
button.approve { background: var(--ok); border-color: var(--ok); color: #fff; }
.result-approved { color: var(--ok); }
.result-declined, .result-refused { color: var(--bad); }
`.trim();

export const APPROVAL_STYLE_HASH = `'sha256-${createHash("sha256").update(STYLE, "utf8").digest("base64")}'`;

export type ApprovalView =
  | { kind: "ask"; link: ApprovalLink }
  | { kind: "done"; link: ApprovalLink; state: "approved" | "declined" }
  | { kind: "gone" }
  | { kind: "refused"; reason: string };

export function approvalPageHtml(view: ApprovalView): string {
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="same-origin"><title>Approve a payment · x402 wallet</title>',
    `<style>${STYLE}</style></head><body><main><div class="card">`,
    body(view),
    "</div></main></body></html>",
  ].join("\n");
}

function body(view: ApprovalView): string {
  switch (view.kind) {
    case "ask":
      return [facts(view.link), form(view.link)].join("\n");
    case "done":
      return view.state === "approved"
        ? `<h1 class="result-approved" data-testid="result">Approved</h1>\n<p>Tell the agent to retry the same call: it pays once, and asks again for anything else.</p>\n${facts(view.link)}`
        : `<h1 class="result-declined" data-testid="result">Declined</h1>\n<p>Nothing was paid. The agent's retry is refused.</p>\n${facts(view.link)}`;
    case "gone":
      return '<h1 data-testid="result">This approval link has expired or was already used</h1>\n<p class="muted">Nothing was paid through it. If the agent still needs this payment, it asks again with a new link.</p>';
    case "refused":
      return `<h1 class="result-refused" data-testid="result">Not accepted</h1>\n<p>${escape(view.reason)}</p>`;
  }
}

function facts(link: ApprovalLink): string {
  const { question, method } = link.binding;
  const description = serverDescription(question);
  const agent = link.binding.agent === null ? "" : `<dt>Agent</dt><dd data-testid="agent">${escape(link.binding.agent)}</dd>`;
  return [
    `<h1>Approve a payment?</h1>`,
    `<p class="muted">An AI agent using this wallet wants to pay for a web request.</p>`,
    `<div class="amount" data-testid="amount">${escape(question.amount)} ${escape(question.symbol)} <span class="muted">(${escape(question.usd)} USD)</span></div>`,
    "<dl>",
    `<dt>For</dt><dd class="mono" data-testid="url">${escape(method)} ${escape(question.url)}</dd>`,
    `<dt>To</dt><dd class="mono" data-testid="payee">${escape(question.payTo)}</dd>`,
    `<dt>Network</dt><dd data-testid="network">${escape(question.network)} <span class="muted mono">${escape(question.networkId)}</span></dd>`,
    `<dt>Token</dt><dd data-testid="token">${escape(question.symbol)} <span class="muted mono">${escape(question.asset)}</span></dd>`,
    agent,
    description ? `<dt>Server says</dt><dd data-testid="description"><span class="muted">(unverified)</span> ${escape(JSON.stringify(description))}</dd>` : "",
    `<dt>Expires</dt><dd data-testid="expires">${escape(link.expiresAt.toLocaleTimeString("en-GB"))}</dd>`,
    "</dl>",
  ].join("\n");
}

function form(link: ApprovalLink): string {
  return [
    `<p class="why" data-testid="why">Asked because it is above ${escape(link.binding.question.threshold)} USD, the owner's approval.above. Approving lets exactly this payment go through, once; anything else still asks you.</p>`,
    '<form method="post" action="/approve">',
    `<input type="hidden" name="token" value="${escape(link.token)}"><input type="hidden" name="csrf" value="${escape(link.csrf)}">`,
    '<button class="approve" name="decision" value="approve" data-testid="approve">Approve</button>',
    '<button name="decision" value="decline" data-testid="decline">Decline</button>',
    "</form>",
  ].join("\n");
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
