import { CodedError, ErrorCode } from "../errors.js";
import { loadRuntime } from "./loadRuntime.js";
import { print, printError } from "./output.js";
import { parseCommandArgs, UsageError } from "./usage.js";

/**
 * `x402-wallet-mcp dashboard [--port P]`: the wallet page in a browser, live from the ledger
 * the servers write. Its first line of stdout is the URL with the token; it runs until
 * SIGINT or SIGTERM.
 */
export async function runDashboard(args: string[]): Promise<number> {
  const { values } = parseCommandArgs("dashboard", args, { config: { type: "string" }, port: { type: "string" } });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (values.port !== undefined && (!/^\d{1,5}$/.test(values.port) || port > 65535)) {
    throw new UsageError(`dashboard: --port "${values.port}" is not a port number (0-65535)`);
  }
  const [{ connectWalletTools }, { dashboardStateSource }, { startDashboardServer }, { DASHBOARD_PAGE }] = await Promise.all([
    import("../dashboard/walletTools.js"),
    import("../dashboard/dashboardState.js"),
    import("../dashboard/dashboardServer.js"),
    import("../ui/dashboardPage.generated.js"),
  ]);
  const rt = await loadRuntime(values.config, { wallet: true });
  const tools = await connectWalletTools(rt);
  let server;
  try {
    server = await startDashboardServer({ port, page: DASHBOARD_PAGE, state: dashboardStateSource(rt, tools) });
  } catch (error) {
    await tools.close();
    await rt.close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new CodedError(ErrorCode.CONFIG_INVALID, `Port ${port} on 127.0.0.1 is in use: choose another with --port, or leave it out for a free one.`);
    }
    throw error;
  }
  print(server.url);
  printError(`Dashboard of wallet ${rt.account?.address ?? "(no key configured)"}: open the URL above; it is read-only and shows the ledger live. Ctrl-C stops it.`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.close();
  await tools.close();
  await rt.close();
  return 0;
}
