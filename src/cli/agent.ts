import { randomBytes } from "node:crypto";
import { ConfigSchema } from "../config/schema.js";
import { sha256Hex } from "../server/agentAuth.js";
import { print } from "./output.js";
import { UsageError, parseCommandArgs } from "./usage.js";

/** Marks our tokens in logs and secret scanners; the 32 random bytes after it are the secret. */
const TOKEN_PREFIX = "x402agt_";

/**
 * `x402-wallet-mcp agent add NAME [--per-session USD] [--per-day USD]`: a new bearer token for
 * an agent of `serve --http`, printed once, and the config entry that holds only its SHA-256.
 * Nothing is written: the owner pastes the entry, so a config file never changes behind their back.
 */
export async function runAgent(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "add") throw new UsageError(sub === undefined ? "agent: say what to do: agent add NAME" : `agent: unknown subcommand "${sub}" (known: add)`);
  const { values, positionals } = parseCommandArgs("agent add", rest, {
    "per-session": { type: "string" },
    "per-day": { type: "string" },
    url: { type: "string" },
  }, true);
  if (positionals.length !== 1) throw new UsageError("agent add: give exactly one NAME (letters, digits, dot, dash or underscore)");
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const budget = {
    ...(values["per-session"] !== undefined && { perSession: values["per-session"] }),
    ...(values["per-day"] !== undefined && { perDay: values["per-day"] }),
  };
  const entry = { name: positionals[0]!, tokenSha256: sha256Hex(token), ...(Object.keys(budget).length > 0 && { budget }) };
  // The config schema is the one judge of a valid entry, so what this prints always loads.
  const checked = ConfigSchema.safeParse({ agents: [entry] });
  if (!checked.success) {
    const problems = checked.error.issues.map((issue) => `${issue.path.slice(2).join(".") || "entry"}: ${issue.message}`);
    throw new UsageError(`agent add: ${problems.join("; ")}`);
  }
  const url = values.url ?? "http://127.0.0.1:8402/mcp";
  print(`Agent "${entry.name}": its token, shown only this once (it cannot be recovered; give it to that agent's client only):

  ${token}

Add this entry to the "agents" list of your config file (only the token's SHA-256 is kept there):

  ${JSON.stringify(entry)}

Then restart \`x402-wallet-mcp serve --http\` and connect the agent, e.g. Claude Code:

  claude mcp add --transport http x402-wallet ${url} --header "Authorization: Bearer ${token}"

To revoke the token, remove the entry and restart the server.`);
  return 0;
}
