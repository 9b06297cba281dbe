import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, type Rig } from "../rig/index.js";
import { startMcp, textOf, type McpSession } from "../e2e/mcpClient.js";
import { send402v1, send402v2, settlementHeader, startHostileServer, type HostileServer } from "./hostileServer.js";
import { expectNoKey, HOSTILE_KEY } from "./key.js";

/** 200 MB of zeros, gzipped once here: compressing it per request took longer than http.timeoutMs on a loaded machine. */
const GZIP_BOMB = gzipSync(Buffer.alloc(200 * 1024 * 1024));

const PAY_TO = "0x7777777777777777777777777777777777777777";
const payer = privateKeyToAccount(HOSTILE_KEY).address;

/**
 * Hostile x402 servers: every case must end in a clear error code (or a receipt that says
 * what went wrong), sign at most what it says, and never hang or crash the server.
 */
describe("hostile x402 servers", () => {
  let rig: Rig;
  let evil: HostileServer;
  let elsewhere: HostileServer;
  let mcp: McpSession;
  const dir = mkdtempSync(join(tmpdir(), "x402-hostile-"));
  const ledger = join(dir, "ledger.jsonl");
  const stdout = join(dir, "stdout.jsonl");
  let otherTransferTx: string;

  const usdc = (overrides: Record<string, unknown> = {}) => ({
    scheme: "exact",
    network: "eip155:84532",
    amount: "10000",
    asset: rig.usdc,
    payTo: PAY_TO,
    maxTimeoutSeconds: 60,
    extra: { name: "USDC", version: "2" },
    ...overrides,
  });
  const v1usdc = (overrides: Record<string, unknown> = {}) => {
    const { amount, ...rest } = usdc({ network: "base-sepolia" });
    return { ...rest, maxAmountRequired: amount, resource: "http://hostile.test/", description: "", mimeType: "", ...overrides };
  };

  beforeAll(async () => {
    rig = await startRig();
    await rig.mint(payer, 10_000_000n);
    // A real transfer of another amount to another address, for a server to claim as its settlement.
    otherTransferTx = await rig.mint("0x8888888888888888888888888888888888888888", 123n);

    elsewhere = await startHostileServer({ "/landing": (_req, res) => res.writeHead(200).end("you followed me") });
    const elsewhereUrl = elsewhere.url.replace("127.0.0.1", "localhost");
    evil = await startHostileServer({
      "/not-base64": (_req, res) => res.writeHead(402, { "PAYMENT-REQUIRED": "%%% not base64 %%%" }).end(),
      "/not-json": (_req, res) => res.writeHead(402, { "PAYMENT-REQUIRED": Buffer.from("<html>").toString("base64") }).end(),
      "/wrong-shape": (_req, res) =>
        res.writeHead(402, { "PAYMENT-REQUIRED": Buffer.from(JSON.stringify({ x402Version: 2, accepts: "all" })).toString("base64") }).end(),
      "/huge-header": (_req, res) => res.writeHead(402, { "PAYMENT-REQUIRED": "A".repeat(1024 * 1024) }).end(),
      "/v1-empty": (_req, res) => send402v1(res, []),
      "/v1-no-payto": (_req, res) => {
        const { payTo: _omit, ...rest } = v1usdc();
        send402v1(res, [rest]);
      },
      "/v1-payto-junk": (_req, res) => send402v1(res, [v1usdc({ payTo: "alice" })]),
      "/v1-asset-junk": (_req, res) => send402v1(res, [v1usdc({ asset: "USDC" })]),
      "/amount-negative": (_req, res) => send402v1(res, [v1usdc({ maxAmountRequired: "-10000" })]),
      "/amount-fraction": (_req, res) => send402v2(res, [usdc({ amount: "100.5" })]),
      "/amount-hex": (_req, res) => send402v2(res, [usdc({ amount: "0x2710" })]),
      "/amount-80-digits": (_req, res) => send402v2(res, [usdc({ amount: "9".repeat(80) })]),
      "/amount-max-uint": (_req, res) => send402v2(res, [usdc({ amount: (2n ** 256n - 1n).toString() })]),
      "/above-cap": (_req, res) => send402v2(res, [usdc({ amount: "100001" })]),
      "/mainnet": (_req, res) => send402v2(res, [usdc({ network: "eip155:1" })]),
      "/solana": (_req, res) => send402v2(res, [usdc({ network: "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp" })]),
      "/unknown-scheme": (_req, res) => send402v2(res, [usdc({ scheme: "stream" })]),
      "/unknown-asset": (_req, res) => send402v2(res, [usdc({ asset: "0x1234567890123456789012345678901234567890" })]),
      "/usdc-other-chain": (_req, res) => send402v2(res, [usdc({ asset: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913" })]),
      "/again-same": (_req, res, { paid }) => send402v2(res, [usdc()], paid ? "payment_invalid" : undefined),
      "/again-higher": (_req, res, { paid }) => send402v2(res, [usdc({ amount: paid ? "500000" : "10000" })], paid ? "price went up" : undefined),
      "/bait": (_req, res, { paid }) => send402v2(res, [usdc({ amount: paid ? "500000" : "1000" })]),
      "/redirect-after-pay": (_req, res, { paid }) =>
        paid ? res.writeHead(302, { location: `${elsewhereUrl}/landing` }).end() : send402v2(res, [usdc()]),
      "/garbage-settlement": (_req, res, { paid }) =>
        paid ? res.writeHead(200, { "PAYMENT-RESPONSE": "}}garbage{{" }).end("content") : send402v2(res, [usdc()]),
      "/phantom-tx": (_req, res, { paid }) =>
        paid
          ? res
              .writeHead(200, { "PAYMENT-RESPONSE": settlementHeader({ success: true, transaction: `0x${"9".repeat(64)}`, network: "eip155:84532" }) })
              .end("content")
          : send402v2(res, [usdc()]),
      "/wrong-transfer": (_req, res, { paid }) =>
        paid
          ? res.writeHead(200, { "PAYMENT-RESPONSE": settlementHeader({ success: true, transaction: otherTransferTx, network: "eip155:84532" }) }).end("content")
          : send402v2(res, [usdc()]),
      "/junk-and-one": (_req, res) =>
        send402v2(res, [
          ...Array.from({ length: 100 }, (_, i) =>
            [null, 42, "x", { scheme: "exact" }, usdc({ amount: "-1" }), usdc({ network: "eip155:999" }), usdc({ asset: "0xdead" })][i % 7],
          ),
          usdc({ amount: "2000" }),
        ]),
      "/big-body": (_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        const chunk = Buffer.alloc(1024 * 1024, "x");
        let sent = 0;
        const pump = () => {
          while (sent < 50 && res.write(chunk)) sent++;
          if (sent < 50) res.once("drain", pump);
          else res.end();
        };
        pump();
      },
      "/endless": (_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        const timer = setInterval(() => res.write("endless ".repeat(1000)), 1);
        res.on("close", () => clearInterval(timer));
      },
      "/gzip-bomb": (_req, res) =>
        res.writeHead(200, { "content-encoding": "gzip", "content-type": "text/plain" }).end(GZIP_BOMB),
      "/silent": () => undefined,
      "/drip": (_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" });
        const timer = setInterval(() => res.write("."), 1000);
        res.on("close", () => clearInterval(timer));
      },
    });
    mcp = await startMcp({
      config: {
        networks: ["eip155:84532"],
        rpc: { "eip155:84532": rig.rpcUrl },
        hosts: { allowPrivate: true },
        budget: { perCall: "0.10", perSession: "100", perDay: "100" },
        http: { timeoutMs: 1500, maxBodyBytes: 1024 * 1024 },
        verifyTimeoutMs: 1000,
        ledger,
      },
      env: { X402_PRIVATE_KEY: HOSTILE_KEY },
      tapStdout: stdout,
    });
  }, 180_000);

  afterAll(async () => {
    await mcp?.close();
    await evil?.close();
    await elsewhere?.close();
    await rig?.stop();
  });

  const call = (path: string) => mcp.call("paid_fetch", { url: `${evil.url}${path}` });

  it.each([
    ["/not-base64", /^\[INVALID_PAYMENT_REQUIRED\] .*not base64/],
    ["/not-json", /^\[INVALID_PAYMENT_REQUIRED\] .*not JSON/],
    ["/wrong-shape", /^\[INVALID_PAYMENT_REQUIRED\] .*accepts/],
    ["/huge-header", /^\[HTTP_ERROR\] .*headers larger than/],
    ["/v1-empty", /^\[INVALID_PAYMENT_REQUIRED\] .*offers no payment option/],
    ["/v1-no-payto", /^\[INVALID_PAYMENT_REQUIRED\] .*payTo/],
    ["/v1-payto-junk", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*payTo "alice" is not an EVM address/],
    ["/v1-asset-junk", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*asset "USDC" is not an EVM address/],
    ["/amount-negative", /^\[INVALID_PAYMENT_REQUIRED\] .*maxAmountRequired must be a whole number/],
    ["/amount-fraction", /^\[INVALID_PAYMENT_REQUIRED\] .*amount must be a whole number/],
    ["/amount-hex", /^\[INVALID_PAYMENT_REQUIRED\] .*amount must be a whole number/],
    ["/amount-80-digits", /^\[INVALID_PAYMENT_REQUIRED\] .*amount must be a whole number/],
    ["/amount-max-uint", /^\[PRICE_ABOVE_CALL_LIMIT\] .*the per-call limit is 0\.10 USD/],
    ["/above-cap", /^\[PRICE_ABOVE_CALL_LIMIT\] .*costs 0\.100001 USD/],
    ["/mainnet", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*network eip155:1 is not enabled/],
    ["/solana", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*network solana:\S+ is not enabled/],
    ["/unknown-scheme", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*scheme "stream"/],
    ["/unknown-asset", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*not a known token/],
    ["/usdc-other-chain", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913 is not a known token on eip155:84532/],
  ])("%s: refused with a clear code, nothing signed", async (path, message) => {
    const result = await call(path);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(message);
    expect(evil.paymentsAt(path)).toBe(0);
  });

  it.each(["/again-same", "/again-higher", "/bait"])("%s: a 402 after paying gets exactly one signature and PAYMENT_REJECTED", async (path) => {
    const result = await call(path);
    expect(textOf(result)).toMatch(/^\[PAYMENT_REJECTED\] .*not paid a second time/);
    expect(evil.paymentsAt(path)).toBe(1);
  });

  it("bait and switch: the quote says 0.001, the paid retry's 0.5 is never signed", async () => {
    const quote = (await mcp.call("quote_price", { url: `${evil.url}/bait` })).structuredContent as any;
    expect(quote.options[0]).toMatchObject({ amount: "0.001", chosen: true });
    const before = evil.paymentsAt("/bait");
    expect(textOf(await call("/bait"))).toMatch(/^\[PAYMENT_REJECTED\] .*payment of 0\.001 USDC/);
    expect(evil.paymentsAt("/bait")).toBe(before + 1);
  });

  it("never sends the payment header to another host on a redirect after paying", async () => {
    const result = await call("/redirect-after-pay");
    const out = result.structuredContent as any;
    expect(out.status).toBe(302);
    expect(out.payment.status).toBe("unconfirmed");
    expect(evil.paymentsAt("/redirect-after-pay")).toBe(1);
    expect(elsewhere.totalPayments()).toBe(0);
  });

  it.each([
    ["/garbage-settlement", "unconfirmed", /settlement header: it is not base64/],
    ["/phantom-tx", "unconfirmed", /which the chain does not know/],
    ["/wrong-transfer", "mismatch", /does not transfer 10000 of .* it shows 123 of/],
  ])("%s: the content comes back and the receipt says what is wrong", async (path, status, note) => {
    const result = await call(path);
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent as any;
    expect(out.body).toBe("content");
    expect(out.payment.status).toBe(status);
    expect(out.payment.note).toMatch(note);
    if (status === "mismatch") expect(textOf(result)).toMatch(/^content\n\nWARNING: /);
  });

  it("picks the one valid option among 100 junk ones", async () => {
    const quote = (await mcp.call("quote_price", { url: `${evil.url}/junk-and-one` })).structuredContent as any;
    const chosen = quote.options.filter((o: any) => o.chosen);
    expect(chosen).toEqual([expect.objectContaining({ amountAtomic: "2000", payable: true })]);
  });

  it.each([
    ["/big-body", /larger than http\.maxBodyBytes \(1048576 bytes\)/],
    ["/endless", /larger than http\.maxBodyBytes|did not answer within http\.timeoutMs/],
    ["/silent", /did not answer within http\.timeoutMs \(1500 ms\)/],
    ["/drip", /did not answer within http\.timeoutMs \(1500 ms\)/],
  ])("%s: bounded by http.timeoutMs and http.maxBodyBytes", async (path, message) => {
    const started = Date.now();
    const result = await call(path);
    expect(textOf(result)).toMatch(/^\[HTTP_ERROR\] /);
    expect(textOf(result)).toMatch(message);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("does not inflate a gzip bomb", async () => {
    const result = await call("/gzip-bomb");
    const out = result.structuredContent as any;
    expect(out.status).toBe(200);
    expect(out.body.length).toBeLessThan(1024 * 1024);
  });

  it("keeps the server alive with flat memory after all of that", async () => {
    const status = readFileSync(`/proc/${mcp.pid}/status`, "utf8");
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    expect(rssKb).toBeGreaterThan(0);
    expect(rssKb).toBeLessThan(400 * 1024);
    expect((await mcp.call("wallet_balance")).isError).toBeFalsy();
  });

  it("never leaks the key: stdout, stderr, tool results and ledger", () => {
    expect(readFileSync(stdout, "utf8")).toContain('"jsonrpc":"2.0"');
    expect(readFileSync(ledger, "utf8")).toContain('"type":"sign"');
    expectNoKey([mcp.stderr(), mcp.transcript()], [stdout, ledger]);
  });
});
