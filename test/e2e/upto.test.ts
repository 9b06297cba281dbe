import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, type Rig, type RigPermit2, type RigWallet } from "../rig/index.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";

/**
 * upto against the official server and facilitator on the rig (Permit2 and x402's upto proxy
 * on-chain): the wallet signs the $0.05 maximum, the server settles `?actual=`, the chain
 * moves exactly the actual amount and the budget counts it once the chain shows it.
 */
describe("paid_fetch of an upto price", () => {
  let rig: Rig;
  let p2: RigPermit2;
  let wallet: RigWallet;
  let mcp: McpSession;
  const ledger = join(mkdtempSync(join(tmpdir(), "x402-upto-")), "ledger.jsonl");

  beforeAll(async () => {
    rig = await startRig({ permit2: true });
    p2 = rig.permit2!;
    wallet = await rig.newWallet(1_000_000n);
    await p2.approvePermit2(wallet, rig.usdc);
    mcp = await startMcp({
      config: {
        networks: ["eip155:84532"],
        rpc: { "eip155:84532": rig.rpcUrl },
        hosts: { allowPrivate: true },
        budget: { perCall: "0.10", perSession: "10", perDay: "10" },
        ledger,
      },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
    });
  }, 180_000);
  afterAll(async () => {
    await mcp?.close();
    await rig?.stop();
  });

  const balances = async () => ({ payer: await rig.balanceOf(wallet.address), payTo: await rig.balanceOf(rig.payTo) });
  const daySpent = async () => ((await mcp.call("quote_price", { url: `${rig.v2.url}/free` })).structuredContent as any).budget.day.spent as string;
  const signLines = () => readFileSync(ledger, "utf8").split("\n").filter((l) => l.includes('"type":"sign"')).length;

  it("quote_price says up to the maximum", async () => {
    const result = await mcp.call("quote_price", { url: p2.urls.upto });
    const quote = result.structuredContent as any;
    expect(quote.options[0]).toMatchObject({ scheme: "upto", amount: "0.05", usd: "0.05", chosen: true, payable: true });
    expect(quote.allowed).toBe(true);
    expect(textOf(result)).toMatch(/- up to 0\.05 USDC \(up to 0\.05 USD\) on eip155:84532 .*scheme upto/);
  });

  it("pays ?actual=12345: the chain moves exactly 12345, the receipt shows it and the 0.05 maximum, the budget counts 0.012345", async () => {
    const before = await balances();
    const spentBefore = await daySpent();
    const result = await mcp.call("paid_fetch", { url: `${p2.urls.upto}?actual=12345` });
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as any;
    expect(out.status).toBe(200);
    expect(JSON.parse(out.body)).toEqual({ data: "metered content", actual: "12345" });
    expect(out.payment).toMatchObject({
      status: "verified",
      amount: "0.012345",
      amountAtomic: "12345",
      maxAmount: "0.05",
      scheme: "upto",
      payer: wallet.address,
      asset: rig.usdc,
    });
    expect(out.payment.transaction).toMatch(/^0x[0-9a-f]{64}$/);
    expect(textOf(result)).toMatch(/Paid 0\.012345 USDC \(of up to 0\.05 signed\) to 0x[0-9a-fA-F]{40} on Base Sepolia .*verified on-chain/);
    const after = await balances();
    expect(before.payer - after.payer).toBe(12_345n);
    expect(after.payTo - before.payTo).toBe(12_345n);
    expect(spentBefore).toBe("0.00");
    expect(out.budget.day.spent).toBe("0.012345");
    expect(await daySpent()).toBe("0.012345");
    expect(readFileSync(ledger, "utf8")).toMatch(/"type":"actual","id":"[^"]+","at":\d+,"usdMicros":"12345"/);
  });

  it("?actual=0: nothing moves, the receipt says why the 0.05 maximum stays counted", async () => {
    const before = await balances();
    const result = await mcp.call("paid_fetch", { url: `${p2.urls.upto}?actual=0` });
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as any;
    expect(out.payment).toMatchObject({ status: "settled", amount: "0.00", amountAtomic: "0", maxAmount: "0.05", transaction: null });
    expect(out.payment.note).toMatch(/reports taking nothing, so there is no transaction to check; the maximum 0\.05 USDC stays counted .* until \d{4}-\d\d-\d\dT/);
    expect(await balances()).toEqual(before);
    expect(await daySpent()).toBe("0.062345");
  });

  it("caps apply to the maximum: max_payment 0.04 refuses the 0.05 maximum with PRICE_ABOVE_CALL_LIMIT, nothing signed", async () => {
    const signed = signLines();
    const before = await balances();
    const result = await mcp.call("paid_fetch", { url: `${p2.urls.upto}?actual=1`, max_payment: "0.04" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^\[PRICE_ABOVE_CALL_LIMIT\] .*0\.05 USD/);
    expect(signLines()).toBe(signed);
    expect(await balances()).toEqual(before);
    expect(await daySpent()).toBe("0.062345");
  });

  it("a settlement above the maximum is refused by the facilitator: PAYMENT_REJECTED, nothing moves, the maximum counted", async () => {
    const before = await balances();
    const result = await mcp.call("paid_fetch", { url: `${p2.urls.upto}?actual=50001` });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^\[PAYMENT_REJECTED\] .*up to 0\.05 USDC.*invalid_upto_evm_payload_settlement_exceeds_amount/);
    expect(await balances()).toEqual(before);
    expect(await daySpent()).toBe("0.112345");
  });
});
