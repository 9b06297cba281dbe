import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, tempHome } from "./run.js";

const VERSION = (JSON.parse(readFileSync(resolve(import.meta.dirname, "../../package.json"), "utf8")) as { version: string }).version;

describe("x402-wallet-mcp argv", () => {
  const { env } = tempHome();

  it("--help lists every command, option and environment variable on stdout", async () => {
    const result = await runCli(["--help"], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    for (const command of ["serve", "agent", "ledger", "init", "doctor", "balance", "receipts"]) expect(result.stdout).toMatch(new RegExp(`^  x402-wallet-mcp ${command} `, "m"));
    for (const option of ["--config PATH", "--since ISO", "--host H", "--limit N", "--json", "--help", "--version"]) expect(result.stdout).toContain(`  ${option}`);
    for (const variable of ["X402_PRIVATE_KEY", "X402_KEY_FILE", "X402_WALLET_CONFIG", "X402_MAX_PER_CALL", "X402_SESSION_BUDGET", "X402_DAILY_BUDGET", "X402_LEDGER", "X402_NETWORKS"]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${variable} `, "m"));
    }
  });

  it("a command's --help prints the same help", async () => {
    const [main, doctor] = await Promise.all([runCli(["--help"], env), runCli(["doctor", "--help"], env)]);
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toBe(main.stdout);
  });

  it("--version prints the package version", async () => {
    const result = await runCli(["--version"], env);
    expect(result).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
  });

  it.each([
    [["frobnicate"], 'unknown command "frobnicate"'],
    [["constructor"], 'unknown command "constructor"'],
    [["--frob"], "Unknown option '--frob'"],
    [["receipts", "--frob"], "receipts: Unknown option '--frob'"],
    [["receipts", "--limit", "0"], "receipts: --limit: Too small: expected number to be >=1"],
    [["receipts", "--since", "yesterday"], "receipts: --since: Invalid ISO datetime"],
    [["balance", "extra"], "balance: Unexpected argument 'extra'"],
    [["ledger", "import", "--from", "file", "--to", "file"], "ledger import: only --from file --to redis is supported"],
    [["ledger", "export"], 'ledger: unknown subcommand "export"'],
  ])("%j: exits 1 with the message and the help on stderr, nothing on stdout", async (args, message) => {
    const result = await runCli(args, env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.startsWith(`x402-wallet-mcp: ${message}`)).toBe(true);
    expect(result.stderr).toContain(`x402-wallet-mcp ${VERSION}: an MCP server`);
  });
});
