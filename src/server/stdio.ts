import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Runtime } from "../runtime.js";
import { createServer } from "./createServer.js";

/** Serves one MCP session on stdin/stdout until the client closes the pipe. */
export async function serveStdio(rt: Runtime): Promise<void> {
  const server = createServer(rt);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once("end", () => resolve());
    // A client that goes away mid-answer closes our stdout; that ends the session, not the process with a crash.
    process.stdout.once("error", () => resolve());
  });
  await server.connect(transport);
  await closed;
  await server.close();
  await rt.close();
}
