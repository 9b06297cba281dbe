import { CodedError, ErrorCode } from "../errors.js";

/** What the person is asked to approve, in words they can judge. */
export interface ApprovalRequest {
  url: string;
  amount: string;
  symbol: string;
  usd: string;
  payTo: string;
  network: string;
  description: string | undefined;
}

export type ApprovalAnswer =
  | { outcome: "approved" }
  | { outcome: "unsupported" }
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
  const description = request.description === undefined ? "" : oneLine(request.description);
  return [
    `Approve a payment of ${request.amount} ${request.symbol} (${request.usd} USD)?`,
    `For: ${request.url}`,
    `To: ${request.payTo} on ${request.network}`,
    ...(description ? [`Server's description (unverified): ${JSON.stringify(description)}`] : []),
  ].join("\n");
}

function oneLine(text: string): string {
  const chars = Array.from(text.replace(UNSHOWABLE, " ").replace(/\s+/g, " ").trim());
  return chars.length > DESCRIPTION_MAX_CHARS ? `${chars.slice(0, DESCRIPTION_MAX_CHARS).join("")}…` : chars.join("");
}

/** Asks the person; supplied by the transport (MCP elicitation). Absent means nobody can be asked. */
export type Approver = (request: ApprovalRequest, signal?: AbortSignal) => Promise<ApprovalAnswer>;

/** Approval fails closed: anything but an explicit yes refuses the payment. */
export async function requireApproval(
  approver: Approver | undefined,
  request: ApprovalRequest,
  threshold: string,
  signal?: AbortSignal,
): Promise<void> {
  const answer: ApprovalAnswer = approver
    ? await approver(request, signal).catch(() => ({ outcome: "unsupported" as const }))
    : { outcome: "unsupported" };
  const what = `${request.url} costs ${request.amount} ${request.symbol} (${request.usd} USD), above approval.above (${threshold} USD)`;
  if (answer.outcome === "approved") return;
  if (answer.outcome === "unsupported") {
    throw new CodedError(
      ErrorCode.APPROVAL_REQUIRED,
      `${what}, so it needs the person's approval, but this MCP client cannot ask (it does not support elicitation). Nothing was paid. Use a client that supports elicitation, or have the owner raise approval.above.`,
      { url: request.url },
    );
  }
  throw new CodedError(
    ErrorCode.APPROVAL_DENIED,
    `${what}; the person ${answer.outcome === "timeout" ? "did not answer in time" : answer.outcome === "cancelled" ? "dismissed the request" : "declined it"}. Nothing was paid. Do not retry unless the person asks for it.`,
    { url: request.url, outcome: answer.outcome },
  );
}
