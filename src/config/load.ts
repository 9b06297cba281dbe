import { readFileSync } from "node:fs";
import { z } from "zod";
import { CodedError, ErrorCode } from "../errors.js";
import { ConfigSchema, type Config } from "./schema.js";

export interface LoadConfigOptions {
  /** `--config PATH` from argv; wins over `X402_WALLET_CONFIG`. */
  configPath?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** Sources, later wins: built-in defaults < JSON file < environment overrides. */
export function loadConfig({ configPath, env = process.env }: LoadConfigOptions = {}): Config {
  const path = configPath ?? env.X402_WALLET_CONFIG;
  const fromFile = path ? readConfigFile(path) : {};
  const merged = applyEnvOverrides(fromFile, env);
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const where = path ? `config (${path} and environment)` : "config (environment)";
    throw new CodedError(ErrorCode.CONFIG_INVALID, `Invalid ${where}:\n${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new CodedError(
      ErrorCode.CONFIG_INVALID,
      `Cannot read the config file ${path}: ${(error as Error).message}. Check the path given with --config or X402_WALLET_CONFIG.`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CodedError(ErrorCode.CONFIG_INVALID, `The config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CodedError(ErrorCode.CONFIG_INVALID, `The config file ${path} must hold a JSON object.`);
  }
  return value as Record<string, unknown>;
}

function applyEnvOverrides(file: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const config: Record<string, unknown> = { ...file };
  const budget = { ...(asObject(file.budget) ?? {}) };
  if (env.X402_MAX_PER_CALL) budget.perCall = env.X402_MAX_PER_CALL.trim();
  if (env.X402_SESSION_BUDGET) budget.perSession = env.X402_SESSION_BUDGET.trim();
  if (env.X402_DAILY_BUDGET) budget.perDay = env.X402_DAILY_BUDGET.trim();
  if (Object.keys(budget).length > 0) config.budget = budget;
  if (env.X402_NETWORKS) {
    config.networks = env.X402_NETWORKS.split(",").map((n) => n.trim()).filter(Boolean);
  }
  if (env.X402_LEDGER) config.ledger = env.X402_LEDGER.trim();
  return config;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

const ENV_FOR_PATH: Record<string, string> = {
  "budget.perCall": "X402_MAX_PER_CALL",
  "budget.perSession": "X402_SESSION_BUDGET",
  "budget.perDay": "X402_DAILY_BUDGET",
  ledger: "X402_LEDGER",
  networks: "X402_NETWORKS",
};

/** One line per problem, naming the key and the expected form. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join(".");
      const top = issue.path.slice(0, 2).map(String).join(".");
      const env = ENV_FOR_PATH[top] ?? ENV_FOR_PATH[String(issue.path[0])];
      const key = path || "(top level)";
      const message =
        issue.code === "unrecognized_keys" ? `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}` : issue.message;
      return `  - ${key}: ${message}${env ? ` (also settable with ${env})` : ""}`;
    })
    .join("\n");
}
