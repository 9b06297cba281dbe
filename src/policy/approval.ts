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
