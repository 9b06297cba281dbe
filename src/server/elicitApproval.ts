import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode as McpErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { approvalMessage, type Approver } from "../policy/approval.js";

/**
 * Asks the person through MCP elicitation (`elicitation/create`). A client without
 * elicitation answers "unsupported"; a timeout is a "no". The caller fails closed.
 */
export function elicitationApprover(server: McpServer, timeoutMs: number): Approver {
  return async (request, signal) => {
    if (!server.server.getClientCapabilities()?.elicitation) return { outcome: "unsupported" };
    const message = approvalMessage(request);
    try {
      const result = await server.server.elicitInput(
        {
          message,
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
  };
}
