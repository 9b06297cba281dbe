import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { x402UptoPermit2ProxyAddress } from "@x402/evm";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_VALIDITY_SECONDS } from "../../src/chains/signingWindow.js";
import { startMcp, textOf, type McpSession } from "../e2e/mcpClient.js";
import { startRig, type Rig } from "../rig/index.js";
import { send402v1, send402v2, settlementHeader, startHostileServer, type HostileServer } from "./hostileServer.js";
import { HOSTILE_KEY } from "./key.js";

const PAY_TO = "0x7777777777777777777777777777777777777777";
const FACILITATOR = "0x6666666666666666666666666666666666666666";
const payer = { privateKey: HOSTILE_KEY, address: privateKeyToAccount(HOSTILE_KEY).address };

/**
 * Hostile servers asking for upto payments: every bad term is refused before anything is
 * signed, and a settlement report that claims too much, or that the chain does not back,
 * ends in a receipt that says so while the budget keeps counting the signed maximum.
 */
describe("hostile upto servers", () => {
  let rig: Rig;
  let evil: HostileServer;
  let mcp: McpSession;
  let otherTransferTx: string;
  const ledger = join(mkdtempSync(join(tmpdir(), "x402-hostile-upto-")), "ledger.jsonl");
  const deadlines: number[] = [];

  const upto = (overrides: Record<string, unknown> = {}, extra: Record<string, unknown> = { facilitatorAddress: FACILITATOR }) => ({
    scheme: "upto",
    network: "eip155:84532",
    amount: "50000",
    asset: rig.usdc,
    payTo: PAY_TO,
    maxTimeoutSeconds: 300,
    extra: { name: "USDC", version: "2", assetTransferMethod: "permit2", ...extra },
    ...overrides,
  });
  /** Answers a paid request with this settlement report (and content); an unpaid one with a 402 for `offer`. */
  const settles = (report: Record<string, unknown>, offer = () => upto()) =>
    (_req: unknown, res: import("node:http").ServerResponse, { paid }: { paid: boolean }) =>
      paid
        ? res.writeHead(200, { "PAYMENT-RESPONSE": settlementHeader({ success: true, network: "eip155:84532", ...report }) }).end("content")
        : send402v2(res, [offer()]);

  beforeAll(async () => {
    rig = await startRig({ permit2: true });
    await rig.mint(payer.address, 10_000_000n);
    await rig.permit2!.approvePermit2(payer, rig.usdc);
    // A real transfer of another amount to another address, for a server to claim as its settlement.
    otherTransferTx = await rig.mint("0x8888888888888888888888888888888888888888", 123n);
    evil = await startHostileServer({
      "/no-facilitator": (_req, res) => send402v2(res, [upto({}, {})]),
      "/facilitator-junk": (_req, res) => send402v2(res, [upto({}, { facilitatorAddress: "0x1234" })]),
      "/facilitator-zero": (_req, res) => send402v2(res, [upto({}, { facilitatorAddress: `0x${"0".repeat(40)}` })]),
      "/other-spender": (_req, res) => send402v2(res, [upto({}, { facilitatorAddress: FACILITATOR, spender: "0x5555555555555555555555555555555555555555" })]),
      "/eip3009": (_req, res) => send402v2(res, [upto({}, { facilitatorAddress: FACILITATOR, assetTransferMethod: "eip3009" })]),
      "/v1": (_req, res) =>
        send402v1(res, [{ ...upto({ network: "base-sepolia" }), amount: undefined, maxAmountRequired: "50000", resource: "http://hostile.test/", description: "", mimeType: "" }]),
      "/zero-max": (_req, res) => send402v2(res, [upto({ amount: "0" })]),
      "/above-cap": (_req, res) => send402v2(res, [upto({ amount: "100001" })]),
      "/ten-years": (req, res, ctx) => {
        if (ctx.paid) {
          const payment = JSON.parse(Buffer.from(String(req.headers["payment-signature"]), "base64").toString("utf8"));
          deadlines.push(Number(payment.payload.permit2Authorization.deadline));
        }
        settles({ transaction: "", amount: "0" }, () => upto({ maxTimeoutSeconds: 10 * 365 * 24 * 3600 }))(req, res, ctx);
      },
      "/claims-more": settles({ transaction: `0x${"9".repeat(64)}`, amount: "60000" }),
      "/wrong-transfer": (req, res, ctx) => settles({ transaction: otherTransferTx, amount: "12345" })(req, res, ctx),
      "/two-amounts": settles({ transaction: `0x${"9".repeat(64)}`, amount: "100", settledAmount: "200" }),
      "/amount-junk": settles({ transaction: `0x${"9".repeat(64)}`, amount: "12.5" }),
      "/no-amount": (req, res, ctx) => settles({ transaction: otherTransferTx })(req, res, ctx),
    });
    mcp = await startMcp({
      config: {
        networks: ["eip155:84532"],
        rpc: { "eip155:84532": rig.rpcUrl },
        hosts: { allowPrivate: true },
        budget: { perCall: "0.10", perSession: "100", perDay: "100" },
        verifyTimeoutMs: 1000,
        ledger,
      },
      env: { X402_PRIVATE_KEY: HOSTILE_KEY },
    });
  }, 180_000);

  afterAll(async () => {
    await mcp?.close();
    await evil?.close();
    await rig?.stop();
  });

  const call = (path: string) => mcp.call("paid_fetch", { url: `${evil.url}${path}` });
  const linesOf = (type: string) => readFileSync(ledger, "utf8").split("\n").filter((l) => l.includes(`"type":"${type}"`)).length;
  const actualLines = () => linesOf("actual");
  const signLines = () => linesOf("sign");

  it.each([
    ["/no-facilitator", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*extra\.facilitatorAddress is missing/],
    ["/facilitator-junk", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*extra\.facilitatorAddress "0x1234" is not an EVM address/],
    ["/facilitator-zero", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*extra\.facilitatorAddress "0x0{40}" is not an EVM address/],
    ["/other-spender", new RegExp(`^\\[NO_ACCEPTABLE_PAYMENT_OPTION\\] .*is not x402's upto proxy ${x402UptoPermit2ProxyAddress}`)],
    ["/eip3009", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*"eip3009" is not supported for upto/],
    ["/v1", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*x402 v1 has no upto payments/],
    ["/zero-max", /^\[INVALID_PAYMENT_REQUIRED\] .*amount must be greater than zero/],
    ["/above-cap", /^\[PRICE_ABOVE_CALL_LIMIT\] .*costs 0\.100001 USD/],
  ])("%s: refused with a clear code, nothing signed", async (path, message) => {
    const result = await call(path);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(message);
    expect(evil.paymentsAt(path)).toBe(0);
  });

  it("a deadline ten years out is signed for the signing window only", async () => {
    const before = Math.floor(Date.now() / 1000);
    const out = (await call("/ten-years")).structuredContent as any;
    expect(out.payment).toMatchObject({ status: "settled", amountAtomic: "0", maxAmount: "0.05" });
    expect(deadlines).toHaveLength(1);
    expect(deadlines[0]! - before).toBeLessThanOrEqual(MAX_VALIDITY_SECONDS + 2);
  });

  it.each([
    ["/claims-more", "mismatch", /reports taking 0\.06 USDC, more than the maximum 0\.05 USDC that was signed/],
    ["/wrong-transfer", "mismatch", /reports taking 0\.012345 USDC of the maximum 0\.05 USDC, but transaction 0x[0-9a-f]{64} does not transfer 12345 of .* it shows 123 of/],
    ["/two-amounts", "unconfirmed", /reports two amounts taken \(amount 100, settledAmount 200\)/],
    ["/amount-junk", "unconfirmed", /amount is not a whole number of atomic units/],
    ["/no-amount", "settled", /did not say how much it took; the maximum 0\.05 USDC stays counted/],
  ])("%s: the content comes back, the receipt says what is wrong, the maximum stays counted", async (path, status, note) => {
    const lines = actualLines();
    const result = await call(path);
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as any;
    expect(out.body).toBe("content");
    expect(out.payment).toMatchObject({ status, maxAmount: "0.05", scheme: "upto" });
    expect(out.payment.note).toMatch(note);
    expect(actualLines()).toBe(lines);
    // Every upto payment signed so far counts its 0.05 maximum: none was shown taken on-chain.
    expect(Number(out.budget.day.spent)).toBeCloseTo(0.05 * signLines(), 6);
    expect(evil.paymentsAt(path)).toBe(1);
  });
});
