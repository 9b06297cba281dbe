import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigSchema } from "../../src/config/schema.js";
import { runCli, tempHome } from "./run.js";

/** The printed token, the printed config entry, and the printed client command. */
function parseOutput(stdout: string) {
  const token = /^  (x402agt_[A-Za-z0-9_-]{43})$/m.exec(stdout)?.[1];
  const entryLine = /^  (\{.*\})$/m.exec(stdout)?.[1];
  return { token, entry: entryLine ? (JSON.parse(entryLine) as Record<string, unknown>) : undefined };
}

describe("x402-wallet-mcp agent add", () => {
  const { env } = tempHome();

  it("prints a fresh token once and a config entry that holds only its SHA-256 and loads as config", async () => {
    const result = await runCli(["agent", "add", "research-bot", "--per-day", "2.50", "--per-session", "0.50"], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const { token, entry } = parseOutput(result.stdout);
    expect(token).toBeDefined();
    expect(entry).toEqual({
      name: "research-bot",
      tokenSha256: createHash("sha256").update(token!).digest("hex"),
      budget: { perDay: "2.50", perSession: "0.50" },
    });
    expect(JSON.stringify(entry)).not.toContain(token!);
    expect(result.stdout.split(token!).length - 1).toBe(2); // the token line and the client command, nothing else
    expect(result.stdout).toContain(`claude mcp add --transport http x402-wallet http://127.0.0.1:8402/mcp --header "Authorization: Bearer ${token}"`);
    expect(ConfigSchema.parse({ agents: [entry] }).agents[0]?.name).toBe("research-bot");
  });

  it("never prints the same token twice", async () => {
    const [a, b] = await Promise.all([runCli(["agent", "add", "a"], env), runCli(["agent", "add", "a"], env)]);
    expect(parseOutput(a.stdout).token).not.toBe(parseOutput(b.stdout).token);
    expect(parseOutput(a.stdout).entry).not.toHaveProperty("budget");
  });

  it.each([
    [["agent"], "agent: say what to do: agent add NAME"],
    [["agent", "remove", "x"], 'agent: unknown subcommand "remove"'],
    [["agent", "add"], "agent add: give exactly one NAME"],
    [["agent", "add", "a", "b"], "agent add: give exactly one NAME"],
    [["agent", "add", "bad name!"], "agent add: name: letters, digits, dot, dash or underscore"],
    [["agent", "add", "a", "--per-day=-1"], "agent add: budget.perDay:"],
    [["agent", "add", "a", "--token", "x"], "agent add: Unknown option '--token'"],
  ])("%j exits 1 naming the mistake, and prints no token", async (args, message) => {
    const result = await runCli(args, env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.startsWith(`x402-wallet-mcp: ${message}`)).toBe(true);
    expect(result.stderr).not.toMatch(/x402agt_/);
  });
});
