import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { startBackgroundReconcile } from "../reconcile/backgroundReconcile.js";
import type { Runtime } from "../runtime.js";
import { createServer } from "./createServer.js";

const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Serves one MCP session on stdin/stdout until the client closes the pipe. */
export async function serveStdio(rt: Runtime): Promise<void> {
  const server = createServer(rt);
  // The SDK's default 10 MiB line limit closes the whole session on a larger message; a
  // roomier limit lets an oversized tool argument reach the schema and get a clear error.
  const transport = new StdioServerTransport(process.stdin, process.stdout, { maxBufferSize: MAX_MESSAGE_BYTES });
  transport.onerror = (error) => rt.logger.log("warning", `stdio transport: ${error.message}`);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once("end", () => resolve());
    // A client that goes away mid-answer closes our stdout; that ends the session, not the process with a crash.
    process.stdout.once("error", () => resolve());
  });
  await server.connect(transport);
  const stopReconcile = startBackgroundReconcile(rt);
  await closed;
  await stopReconcile();
  await server.close();
  await rt.close();
}
