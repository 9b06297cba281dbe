import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { formatError } from "../errors.js";
import type { Logger } from "../log.js";

/** A failed tool call as the model sees it: `isError` and text that starts with `[CODE]`. */
export function toolError(error: unknown, logger?: Logger): CallToolResult {
  const text = formatError(error);
  logger?.log("warning", `refused: ${text}`);
  return { isError: true, content: [{ type: "text", text }] };
}
