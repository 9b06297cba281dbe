import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deadKeyedRpcUrl, startKeyedRpc, type KeyedRpc } from "../chain/keyedRpc.js";
import { closedPort } from "../cli/run.js";
import { startRig, type Rig } from "../rig/index.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";

/** RPC URLs carry API keys and passwords: the tools and the server's logs name an RPC only by scheme, host and port. */
describe("RPC credentials in what the server shows", () => {
  let rig: Rig;
  let keyed: KeyedRpc;
  let mcp: McpSession;
  let dead: { url: string; secrets: string[] };
  let deadPort: number;

  beforeAll(async () => {
    rig = await startRig();
    keyed = await startKeyedRpc(rig.rpcUrl);
    deadPort = await closedPort();
    dead = deadKeyedRpcUrl(deadPort);
    const wallet = await rig.newWallet(3_000_000n);
    mcp = await startMcp({
      // Base Sepolia (where the rig's servers are paid) has a dead RPC: the funds check and the settlement check fail on it.
      config: { networks: ["eip155:84532", "eip155:8453"], rpc: { "eip155:84532": dead.url, "eip155:8453": keyed.url }, hosts: { allowPrivate: true }, verifyTimeoutMs: 500 },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
    });
  });
  afterAll(async () => {
    await mcp?.close();
    await keyed?.close();
    await rig?.stop();
  });

  const secrets = () => [...dead.secrets, ...keyed.secrets];

  it("wallet_balance names a failing RPC redacted, in its text and its structured output", async () => {
    const result = await mcp.call("wallet_balance");
    expect(result.isError ?? false).toBe(false);
    const shown = `RPC http://127.0.0.1:${deadPort}/… failed: HTTP request failed.`;
    expect(textOf(result)).toContain(`Base Sepolia (eip155:84532): unavailable (${shown})`);
    const balances = (result.structuredContent as { balances: { network: string; error: string | null }[] }).balances;
    expect(balances.find((b) => b.network === "eip155:84532")?.error).toBe(shown);
    // The keyed RPC got its credentials (it answered: the rig's chain has no USDC at Base's address), though nothing shows them.
    expect(balances.find((b) => b.network === "eip155:8453")?.error).toMatch(
      /^RPC http:\/\/127\.0\.0\.1:\d+\/… failed: The contract function "balanceOf" returned no data \("0x"\)\.$/,
    );
  });

  it("a payment whose balance and settlement checks fail on the RPC logs and reports it redacted", async () => {
    const result = await mcp.call("paid_fetch", { url: `${rig.v2.url}/paid` });
    expect(result.isError ?? false).toBe(false);
    await expect.poll(() => mcp.stderr()).toContain("could not read the USDC balance on eip155:84532");
  });

  it("no secret part of either RPC URL appears in any tool result or log line", () => {
    const everything = `${mcp.transcript()}\n${mcp.stderr()}`;
    for (const secret of secrets()) expect(everything).not.toContain(secret);
  });
});
