/** Logs go to stderr: stdout of the stdio server carries JSON-RPC only. */
export type LogLevel = "debug" | "info" | "warning" | "error";

export interface Logger {
  log(level: LogLevel, message: string): void;
}

export const stderrLogger: Logger = {
  log(level, message) {
    process.stderr.write(`[x402-wallet-mcp] ${level}: ${message}\n`);
  },
};
