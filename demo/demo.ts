/**
 * A local demo with no real money and no internet: starts a local chain (anvil) with a
 * test USDC, the official x402 v2 and v1 paid servers, then runs the MCP server through a
 * real MCP client and pays for one resource on each.
 */
import { startMcp, textOf } from "../test/e2e/mcpClient.js";
import { startRig } from "../test/rig/index.js";

const say = (line = "") => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  say("Starting a local chain (anvil, chain id 84532), a test USDC and the official x402 v2 and v1 servers…");
  const rig = await startRig();
  try {
    const wallet = await rig.newWallet(10_000_000n);
    say(`Demo wallet ${wallet.address} funded with 10 test USDC.`);
    const mcp = await startMcp({
      config: {
        networks: ["eip155:84532"],
        rpc: { "eip155:84532": rig.rpcUrl },
        hosts: { allowPrivate: true },
        budget: { perCall: "0.10", perSession: "1.00" },
      },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
    });
    try {
      const { tools } = await mcp.client.listTools();
      say(`MCP server up over stdio; tools: ${tools.map((t) => t.name).join(", ")}`);

      for (const [label, url] of [
        ["x402 v2", `${rig.v2.url}/paid`],
        ["x402 v1", `${rig.v1.url}/paid`],
      ] as const) {
        say();
        say(`── paid_fetch ${url} (${label})`);
        const result = await mcp.call("paid_fetch", { url });
        say(textOf(result));
        const payment = (result.structuredContent as { payment?: unknown } | undefined)?.payment;
        if (payment) say(`Receipt: ${JSON.stringify(payment, null, 2)}`);
      }

      say();
      say("── paid_fetch of a URL over the per-call limit (refused, nothing signed)");
      say(textOf(await mcp.call("paid_fetch", { url: `${rig.v2.url}/expensive` })));

      say();
      say("── wallet_balance");
      say(textOf(await mcp.call("wallet_balance")));
      say();
      say("── spending_history");
      say(textOf(await mcp.call("spending_history")));
      say();
      say(`On-chain: payer ${await rig.balanceOf(wallet.address)} atomic USDC, payee ${await rig.balanceOf(rig.payTo)} atomic USDC.`);
    } finally {
      await mcp.close();
    }
  } finally {
    await rig.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
