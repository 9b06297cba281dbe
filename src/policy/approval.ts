import { CodedError, ErrorCode } from "../errors.js";

/** What the person is asked to approve, in words they can judge. */
export interface ApprovalRequest {
  url: string;
  amount: string;
  symbol: string;
  usd: string;
  payTo: string;
  /** The network's display name; `networkId` is its CAIP-2 id. */
  network: string;
  networkId: string;
  /** The token's address: with `amount` it says exactly what leaves the wallet. */
  asset: string;
  description: string | undefined;
}

/** What the approver is asked: the payment, and the owner's threshold it is above (USD). */
export interface ApprovalQuestion extends ApprovalRequest {
  threshold: string;
}

export type ApprovalAnswer =
  | { outcome: "approved" }
  | { outcome: "unsupported" }
  /** Nobody could be asked now: the person approves on this page, then the agent retries the same call. */
  | { outcome: "link"; url: string; expiresAt: Date }
  | { outcome: "declined" | "cancelled" | "timeout"; detail?: string };

/** Long enough for a real description, short enough that it cannot push the facts out of view. */
const DESCRIPTION_MAX_CHARS = 200;

/** Line breaks of every kind, other control characters, and the format characters that reorder (bidi) or hide (zero-width) text. */
const UNSHOWABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * The question the person answers. What the wallet itself vouches for (amount, URL, payee,
 * network) comes first, one fact a line; the server's description comes last, on one line,
 * quoted and labelled as the server's: a server writes it, so a "\nTo: 0x…" in it must not
 * read as the wallet's own line.
 */
export function approvalMessage(request: ApprovalRequest): string {
  const description = serverDescription(request);
  return [
    `Approve a payment of ${request.amount} ${request.symbol} (${request.usd} USD)?`,
    `For: ${request.url}`,
    `To: ${request.payTo} on ${request.network}`,
    ...(description ? [`Server's description (unverified): ${JSON.stringify(description)}`] : []),
  ].join("\n");
}

/** The server's description as it may be shown: one line, bounded; "" when there is none. */
export function serverDescription(request: ApprovalRequest): string {
  return request.description === undefined ? "" : oneLine(request.description);
}

function oneLine(text: string): string {
  const chars = Array.from(text.replace(UNSHOWABLE, " ").replace(/\s+/g, " ").trim());
  return chars.length > DESCRIPTION_MAX_CHARS ? `${chars.slice(0, DESCRIPTION_MAX_CHARS).join("")}…` : chars.join("");
}

/** Asks the person; supplied by the transport (MCP elicitation, or a link to the wallet's page). Absent means nobody can be asked. */
export type Approver = (question: ApprovalQuestion, signal?: AbortSignal) => Promise<ApprovalAnswer>;

/** The call a payment answers, beyond what its 402 says: a link's approval is bound to it too. */
export interface PaymentCall {
  method: string;
  body: string | undefined;
}

/** The approver for one tool call. */
export type CallApprover = (call: PaymentCall) => Approver;

/** Approval fails closed: anything but an explicit yes refuses the payment. */
export async function requireApproval(
  approver: Approver | undefined,
  request: ApprovalRequest,
  threshold: string,
  signal?: AbortSignal,
): Promise<void> {
  const answer: ApprovalAnswer = approver
    ? await approver({ ...request, threshold }, signal).catch(() => ({ outcome: "unsupported" as const }))
    : { outcome: "unsupported" };
  const what = `${request.url} costs ${request.amount} ${request.symbol} (${request.usd} USD), above approval.above (${threshold} USD)`;
  if (answer.outcome === "approved") return;
  if (answer.outcome === "link") {
    const minutes = Math.max(1, Math.round((answer.expiresAt.getTime() - Date.now()) / 60_000));
    throw new CodedError(
      ErrorCode.APPROVAL_REQUIRED,
      `${what}, so it needs the person's approval, and this MCP client cannot ask them itself (it does not support elicitation). Nothing was paid. ` +
        `Show the person this link and ask them to open it in a browser on this computer: ${answer.url} . It shows exactly what would be paid, with Approve and Decline, and works for ${minutes} minute(s), for this one payment only. ` +
        "Once they say they approved it, call paid_fetch again with exactly the same arguments: it then pays once, without asking again. You cannot approve it yourself; if they decline, the retry is refused with APPROVAL_DENIED.",
      { url: request.url, approvalUrl: answer.url, expiresAt: answer.expiresAt.toISOString() },
    );
  }
  if (answer.outcome === "unsupported") {
    throw new CodedError(
      ErrorCode.APPROVAL_REQUIRED,
      `${what}, so it needs the person's approval, but this MCP client cannot ask (it does not support elicitation). Nothing was paid. Use a client that supports elicitation, or have the owner raise approval.above.`,
      { url: request.url },
    );
  }
  throw new CodedError(
    ErrorCode.APPROVAL_DENIED,
    `${what}; the person ${answer.outcome === "timeout" ? "did not answer in time" : answer.outcome === "cancelled" ? "dismissed the request" : "declined it"}${answer.detail ? ` (${answer.detail})` : ""}. Nothing was paid. Do not retry unless the person asks for it.`,
    { url: request.url, outcome: answer.outcome },
  );
}
