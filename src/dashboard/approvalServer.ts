import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { ApprovalLink, ApprovalLinks } from "../policy/approvalLinks.js";
import { APPROVAL_STYLE_HASH, approvalPageHtml, type ApprovalView } from "../ui/approvalPage.js";
import { listen, send } from "./loopbackHttp.js";

export interface ApprovalServer {
  /** `http://127.0.0.1:P` */
  origin: string;
  port: number;
  close(): Promise<void>;
}

/** A form post carries two tokens and a word; anything larger is not the page's. */
const MAX_FORM_BYTES = 4096;

const CSP = ["default-src 'none'", `style-src ${APPROVAL_STYLE_HASH}`, "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'"].join("; ");

/**
 * The approval page's server: 127.0.0.1 only. GET /approve?token=… shows the payment; the
 * answer is a POST from that page: its Origin must be this server's (a browser sets it and
 * a page cannot forge it), and it must carry the CSRF token only that page holds. A Host
 * other than this address is refused, so a DNS-rebound name cannot reach it either.
 */
export async function startApprovalServer(links: ApprovalLinks, port = 0): Promise<ApprovalServer> {
  let origin = "";

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader("cache-control", "no-store");
    res.setHeader("x-content-type-options", "nosniff");
    // Not no-referrer: under it a browser sends "Origin: null" with the form, and the Origin check needs the real one.
    res.setHeader("referrer-policy", "same-origin");
    res.setHeader("x-frame-options", "DENY");
    res.setHeader("content-security-policy", CSP);
    const url = new URL(req.url ?? "/", origin);
    if (req.headers.host !== new URL(origin).host) return send(res, 421, "text/plain", "Misdirected request: open the approval link exactly as given.\n");
    if (url.pathname !== "/approve") return send(res, 404, "text/plain", "Not found.\n");
    if (req.method === "GET" || req.method === "HEAD") {
      const link = links.find(url.searchParams.get("token") ?? "");
      if (!link || links.expired(link)) return page(res, 410, { kind: "gone" });
      return page(res, 200, link.state === "pending" ? { kind: "ask", link } : { kind: "done", link, state: link.state });
    }
    if (req.method !== "POST") return send(res, 405, "text/plain", "Method not allowed.\n", { allow: "GET, HEAD, POST" });
    if (req.headers.origin !== origin) {
      return page(res, 403, { kind: "refused", reason: "This answer did not come from the approval page itself. Open the link in a browser and use its buttons." });
    }
    const form = await readForm(req);
    if (!form) return page(res, 400, { kind: "refused", reason: "The answer was not a form from the approval page." });
    const link = links.find(form.get("token") ?? "");
    if (!link) return page(res, 410, { kind: "gone" });
    const decision = form.get("decision");
    if (decision !== "approve" && decision !== "decline") return page(res, 400, { kind: "refused", reason: "Choose Approve or Decline." });
    return answer(res, link, links.decide(link, form.get("csrf") ?? "", decision === "approve" ? "approved" : "declined"));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, "text/plain", "The approval page failed; nothing was approved.\n");
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await listen(server, port);
  // The page lives as long as the MCP server does, but never keeps the process up by itself.
  server.unref();
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  origin = `http://127.0.0.1:${bound}`;
  return {
    origin,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answer(res: ServerResponse, link: ApprovalLink, outcome: ReturnType<ApprovalLinks["decide"]>): void {
  if (outcome === "forbidden") return page(res, 403, { kind: "refused", reason: "This page's form is stale or not the approval page's: reload the link and answer again." });
  if (outcome === "expired") return page(res, 410, { kind: "gone" });
  if (link.state === "pending") return page(res, 410, { kind: "gone" });
  return page(res, outcome === "ok" ? 200 : 409, { kind: "done", link, state: link.state });
}

function page(res: ServerResponse, status: number, view: ApprovalView): void {
  send(res, status, "text/html; charset=utf-8", approvalPageHtml(view));
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | null> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers["content-type"] ?? "")) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return null;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}
