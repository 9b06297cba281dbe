import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, type Rig } from "../rig/index.js";
import { startSolanaRig, type SolanaRig } from "../rig/solana/index.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";

const DEVNET = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1";
const BASE_SEPOLIA = "eip155:84532";

/** One session budget across both chain families, held under parallel calls, checked on both chains. */
describe("caps across EVM and Solana", () => {
  let evm: Rig;
  let solana: SolanaRig;
  let mcp: McpSession;

  beforeAll(async () => {
    [evm, solana] = await Promise.all([startRig(), startSolanaRig()]);
  }, 60_000);
  afterAll(async () => {
    await mcp?.close();
    await Promise.all([evm?.stop(), solana?.stop()]);
  });

  it("a session budget for 3 payments, spent on EVM and Solana alternately in parallel: exactly 3 settle across both chains", async () => {
    const evmWallet = await evm.newWallet(1_000_000n);
    const solWallet = await solana.newWallet(1_000_000n);
    mcp = await startMcp({
      config: {
        networks: [BASE_SEPOLIA, DEVNET],
        rpc: { [BASE_SEPOLIA]: evm.rpcUrl, [DEVNET]: solana.rpcUrl },
        hosts: { allowPrivate: true },
        budget: { perCall: "0.01", perSession: "0.03", perDay: "1.00" },
      },
      env: { X402_PRIVATE_KEY: evmWallet.privateKey, X402_SOLANA_PRIVATE_KEY: solWallet.secretKeyBase58 },
    });
    const urls = [0, 1, 2, 3, 4, 5].map((i) => `${i % 2 === 0 ? evm.v2.url : solana.v2.url}/paid?call=${i}`);
    const results = await Promise.all(urls.map((url) => mcp.call("paid_fetch", { url })));
    const paid = results.filter((r) => !r.isError);
    const refused = results.filter((r) => r.isError);
    expect(paid).toHaveLength(3);
    expect(refused.map((r) => textOf(r).slice(0, 25))).toEqual(Array(3).fill("[SESSION_BUDGET_EXCEEDED]"));
    const networks = paid.map((r) => (r.structuredContent as { payment: { network: string; status: string } }).payment);
    expect(networks.every((p) => p.status === "verified")).toBe(true);
    const evmPaid = 1_000_000n - (await evm.balanceOf(evmWallet.address));
    const solPaid = 1_000_000n - (await solana.usdcBalanceOf(solWallet.address));
    expect(evmPaid + solPaid).toBe(30_000n);
    expect(evmPaid / 10_000n).toBe(BigInt(networks.filter((p) => p.network === BASE_SEPOLIA).length));
    expect(solPaid / 10_000n).toBe(BigInt(networks.filter((p) => p.network === DEVNET).length));
  });
});
