import { readFileSync } from "node:fs";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHostileServer, type HostileServer } from "../hostile/hostileServer.js";
import { startSolanaRig, type SolanaRig, type SolanaRigWallet } from "../rig/solana/index.js";
import { runCli, tempHome } from "../cli/run.js";
import { startMcp, writeConfig, type McpSession } from "./mcpClient.js";

const DEVNET = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1";
const BASE58_SIGNATURE = /^[1-9A-HJ-NP-Za-km-z]{64,88}$/;
const out = (r: CallToolResult) => r.structuredContent as any;

/**
 * What the agent and the owner are shown of a Solana payment, after a real one on the rig:
 * quote_price and discover_services list the Solana option, spending_history and
 * `receipts --json/--csv` carry its base58 signature and the devnet explorer link.
 */
describe("Solana payments in quote_price, discover_services, spending_history and receipts", () => {
  let rig: SolanaRig;
  let wallet: SolanaRigWallet;
  let bazaar: HostileServer;
  let mcp: McpSession;
  let configPath: string;
  let accepts: unknown[];

  beforeAll(async () => {
    rig = await startSolanaRig();
    wallet = await rig.newWallet(1_000_000n);
    const unpaid = await fetch(`${rig.v2.url}/paid`);
    accepts = JSON.parse(Buffer.from(unpaid.headers.get("payment-required") ?? "", "base64").toString("utf8")).accepts;
    bazaar = await startHostileServer({
      "/discovery/resources": (_req, res) =>
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ x402Version: 2, items: [{ resource: `${rig.v2.url}/paid`, type: "http", x402Version: 2, accepts, metadata: { description: "Solana-paid JSON" } }] })),
    });
    const config = { networks: [DEVNET], rpc: { [DEVNET]: rig.rpcUrl }, hosts: { allowPrivate: true }, discovery: { url: `${bazaar.url}/discovery/resources` } };
    configPath = writeConfig(config);
    const { ledger } = JSON.parse(readFileSync(configPath, "utf8")) as { ledger: string };
    mcp = await startMcp({ config: { ...config, ledger }, env: { X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 } });
  }, 60_000);
  afterAll(async () => {
    await mcp?.close();
    await bazaar?.close();
    await rig?.stop();
  });

  it("quote_price shows the Solana option: amount, USDC, devnet, the base58 payTo, chosen", async () => {
    const quote = out(await mcp.call("quote_price", { url: `${rig.v2.url}/paid` }));
    expect(quote.options).toEqual([
      expect.objectContaining({ amount: "0.01", amountAtomic: "10000", symbol: "USDC", usd: "0.01", network: DEVNET, payTo: rig.payTo, asset: rig.usdc, chosen: true }),
    ]);
  });

  it("discover_services gives a Solana listing its USD price and network", async () => {
    const found = out(await mcp.call("discover_services", {}));
    expect(found.services).toEqual([
      expect.objectContaining({ url: `${rig.v2.url}/paid`, price: { amount: "0.01", symbol: "USDC", usd: "0.01", network: DEVNET }, networks: [DEVNET] }),
    ]);
  });

  it("after a real payment, spending_history and receipts --json/--csv show it like an EVM one", async () => {
    const paid = out(await mcp.call("paid_fetch", { url: `${rig.v2.url}/paid` }));
    const receipt = paid.payment;
    expect(receipt.status).toBe("verified");
    expect(receipt.transaction).toMatch(BASE58_SIGNATURE);
    expect(receipt.explorerUrl).toBe(`https://explorer.solana.com/tx/${receipt.transaction}?cluster=devnet`);
    expect(await rig.usdcBalanceOf(wallet.address)).toBe(990_000n);

    const history = out(await mcp.call("spending_history", {}));
    expect(history.receipts).toEqual([
      expect.objectContaining({
        status: "verified",
        amount: "0.01",
        symbol: "USDC",
        network: DEVNET,
        payer: wallet.address,
        payTo: rig.payTo,
        transaction: receipt.transaction,
        explorerUrl: receipt.explorerUrl,
      }),
    ]);
    expect(history.totals.byDay[0]).toMatchObject({ spent: "0.01", payments: 1 });

    const { env } = tempHome();
    const json = await runCli(["receipts", "--config", configPath, "--json"], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).receipts).toEqual(history.receipts);
    const csv = await runCli(["receipts", "--config", configPath, "--csv"], env);
    expect(csv.code).toBe(0);
    const [header, row] = csv.stdout.trim().split("\r\n").map((l) => l.split(","));
    const field = (name: string) => row![header!.indexOf(name)];
    expect(field("network")).toBe(DEVNET);
    expect(field("amount_atomic")).toBe("10000");
    expect(field("transaction")).toBe(receipt.transaction);
    expect(field("explorer_url")).toBe(receipt.explorerUrl);
    expect(field("payer")).toBe(wallet.address);
    expect(field("pay_to")).toBe(rig.payTo);
    const table = await runCli(["receipts", "--config", configPath], env);
    expect(table.stdout).toMatch(new RegExp(`0\\.01 USDC\\s+verified\\s+${DEVNET}\\s+\\S+/paid\\s+${receipt.transaction}`));
    expect(mcp.transcript() + json.stdout + csv.stdout + table.stdout).not.toContain(wallet.secretKeyBase58);
  });
});
