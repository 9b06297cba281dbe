import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { formatError } from "../errors.js";

/** A failed tool call as the model sees it: `isError` and text that starts with `[CODE]`. */
export function toolError(error: unknown): CallToolResult {
  return { isError: true, content: [{ type: "text", text: formatError(error) }] };
}
