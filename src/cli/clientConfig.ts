import { ConfigSchema } from "../config/schema.js";
import { shellQuote } from "./output.js";

export const SERVER_NAME = "x402-wallet";

/** The budget variables with the config's defaults, so the pasted block shows what can be tuned. */
export function budgetEnv(): Record<string, string> {
  const { budget } = ConfigSchema.parse({});
  return { X402_MAX_PER_CALL: budget.perCall, X402_SESSION_BUDGET: budget.perSession, X402_DAILY_BUDGET: budget.perDay };
}

/** `["-y", "x402-wallet-mcp"]` on one line, as people write it in these files. */
export function compactArrays(json: string): string {
  return json.replace(/\[\n([^[\]{}]*)\n\s*\]/g, (_, items: string) => `[${items.split(",\n").map((item) => item.trim()).join(", ")}]`);
}

/** How to add the server with `env` to Claude Desktop, Cursor and the like, and to Claude Code: the lines `init` prints. */
export function addServerLines(env: Record<string, string>): string[] {
  const block = { mcpServers: { [SERVER_NAME]: { command: "npx", args: ["-y", "x402-wallet-mcp"], env } } };
  const claudeAdd = [
    "claude mcp add",
    SERVER_NAME,
    ...Object.entries(env).map(([name, value]) => `--env ${shellQuote(`${name}=${value}`)}`),
    "-- npx -y x402-wallet-mcp",
  ].join(" ");
  return [
    "Add the server to Claude Desktop (claude_desktop_config.json), Cursor (~/.cursor/mcp.json) or another MCP client:",
    "",
    compactArrays(JSON.stringify(block, null, 2)),
    "",
    "Or to Claude Code:",
    "",
    `  ${claudeAdd}`,
  ];
}
