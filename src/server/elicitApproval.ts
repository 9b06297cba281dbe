import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode as McpErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { ApprovalDesk } from "../dashboard/approvalDesk.js";
import { approvalMessage, type ApprovalAnswer, type ApprovalQuestion, type CallApprover } from "../policy/approval.js";
import type { PaymentBinding } from "../policy/approvalLinks.js";
import type { Runtime } from "../runtime.js";

/**
 * Asks the person the way the client allows: a form (`elicitation/create`) where the client
 * declares form elicitation; the wallet's approval page sent as a URL elicitation (MCP
 * 2025-11-25) where it declares URL mode, waiting for the answer given on that page; and
 * elsewhere a one-time link to that page, returned to the agent to show, whose approval the
 * agent's retry of the same call redeems once. Anything but an explicit yes fails closed.
 */
export function personApprover(server: McpServer, rt: Runtime): CallApprover {
  const timeoutMs = rt.config.approval.timeoutMs;
  return (call) => async (question, signal) => {
    const elicitation = server.server.getClientCapabilities()?.elicitation;
    if (elicitation?.form) return askInForm(server, question, timeoutMs, signal);
    const binding: PaymentBinding = { ...call, agent: rt.agent?.name ?? null, question };
    if (elicitation?.url) return askThroughUrl(server, rt.approvals, binding, timeoutMs, signal);
    return linkForRetry(rt.approvals, binding);
  };
}

async function askInForm(server: McpServer, question: ApprovalQuestion, timeoutMs: number, signal: AbortSignal | undefined): Promise<ApprovalAnswer> {
  try {
    const result = await server.server.elicitInput(
      {
        message: approvalMessage(question),
        requestedSchema: {
          type: "object",
          properties: { approve: { type: "boolean", title: "Pay this amount", default: false } },
          required: ["approve"],
        },
      },
      { timeout: timeoutMs, ...(signal ? { signal } : {}) },
    );
    if (result.action === "accept") return result.content?.approve === true ? { outcome: "approved" } : { outcome: "declined" };
    return { outcome: result.action === "decline" ? "declined" : "cancelled" };
  } catch (error) {
    if (error instanceof McpError && error.code === McpErrorCode.RequestTimeout) return { outcome: "timeout" };
    return { outcome: "cancelled", detail: (error as Error).message };
  }
}

/**
 * The client shows the page's URL; its "accept" only means the person agreed to open it.
 * The answer is what they click there, awaited as long as a form's would be.
 */
async function askThroughUrl(
  server: McpServer,
  desk: ApprovalDesk,
  binding: PaymentBinding,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<ApprovalAnswer> {
  const link = desk.links.open(binding, false);
  const elicitation = new AbortController();
  const stop = () => elicitation.abort();
  signal?.addEventListener("abort", stop, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    const url = await desk.urlFor(link);
    const message = `${approvalMessage(binding.question)}\nOpen the wallet's approval page to approve or decline this payment.`;
    const elicited = server.server
      .elicitInput({ mode: "url", message, elicitationId: link.id, url }, { timeout: timeoutMs, signal: elicitation.signal })
      .then(
        (result) => result.action,
        (error: unknown) => (error instanceof McpError && error.code === McpErrorCode.RequestTimeout ? ("timeout" as const) : ("cancel" as const)),
      );
    const limitMs = Math.min(timeoutMs, link.expiresAt.getTime() - Date.now());
    const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), limitMs)));
    let first = await Promise.race([link.decided, elicited, timedOut]);
    if (first === "accept") first = await Promise.race([link.decided, timedOut]);
    if (first === "approved") {
      await server.server.createElicitationCompletionNotifier(link.id)().catch(() => undefined);
      return { outcome: "approved" };
    }
    if (first === "declined" || first === "decline") return { outcome: "declined" };
    return { outcome: first === "timeout" ? "timeout" : "cancelled" };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", stop);
    // Whatever ended the wait, the page can no longer answer for this payment.
    desk.links.drop(link);
    elicitation.abort();
  }
}

/** The client cannot ask: what the person said on an earlier link for exactly this payment, else a link to show them. */
async function linkForRetry(desk: ApprovalDesk, binding: PaymentBinding): Promise<ApprovalAnswer> {
  const prior = desk.links.take(binding);
  if (prior.kind === "approved") return { outcome: "approved" };
  if (prior.kind === "declined") return { outcome: "declined", detail: "on the approval page" };
  if (prior.kind === "expired") return { outcome: "timeout", detail: "the approval link expired" };
  const link = prior.kind === "pending" ? prior.link : desk.links.open(binding, true);
  return { outcome: "link", url: await desk.urlFor(link), expiresAt: link.expiresAt };
}
