import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { declarePaymentIdentifierExtension } from "@x402/extensions/payment-identifier";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { KNOWN_ASSETS } from "../../src/chains/evm/assets.js";
import { exactEvmScheme } from "../../src/chains/evm/schemes/exact-eip3009/index.js";
import type { SignedPayment } from "../../src/chains/types.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { CodedError, ErrorCode } from "../../src/errors.js";
import type { HttpRequest, HttpResponse } from "../../src/http/types.js";
import { authorizePayment } from "../../src/payment/authorizePayment.js";
import { sendPaid } from "../../src/payment/sendPaid.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { parsePaymentRequired } from "../../src/x402/parsePaymentRequired.js";
import { v2Requirement, v2Response } from "../x402/helpers.js";

const URL = "http://api.test/paid";
const timeout = () => new CodedError(ErrorCode.HTTP_ERROR, `${URL} did not answer within http.timeoutMs.`, { url: URL, reason: "timeout" });
const answer = (status: number, headers: Record<string, string> = {}): HttpResponse => ({
  url: URL,
  request: { url: URL, method: "GET", headers: {}, body: undefined },
  status,
  headers,
  body: Buffer.from("{}"),
  header: (name) => headers[name.toLowerCase()],
});

/**
 * The resend rules of sendPaid on a fake transport: which failures are resent, how often,
 * and what stops a resend (no payment-identifier, a cancel, an authorization about to expire,
 * a Solana block height too close or unreadable). Each step is what the transport answers
 * to one send; every send's payment header is recorded.
 */
describe("sendPaid resends a lost paid answer only when it is safe", () => {
  let rt: Runtime | undefined;
  afterEach(async () => void (await rt?.close()));

  async function setup(steps: (() => HttpResponse)[], withExtension = true) {
    const account = privateKeyToAccount(generatePrivateKey());
    const asset = KNOWN_ASSETS.find((a) => a.network === "eip155:84532")!;
    const extensions = withExtension ? { extensions: { "payment-identifier": declarePaymentIdentifierExtension() } } : {};
    const required = parsePaymentRequired(v2Response([v2Requirement({ maxTimeoutSeconds: 300 })], extensions));
    const config = ConfigSchema.parse({ networks: ["eip155:84532"], ledger: join(mkdtempSync(join(tmpdir(), "resend-")), "ledger.jsonl") });
    rt = await createRuntime({ config, account, logger: { log() {} } });
    const headers: string[] = [];
    rt.http = {
      send: async (request: HttpRequest) => {
        headers.push(request.headers["PAYMENT-SIGNATURE"]!);
        const step = steps.shift();
        if (!step) throw new Error("sent more than the test expected");
        return step();
      },
      close: async () => undefined,
    };
    rt.balances.record(asset, account.address, 10n ** 12n);
    rt.chain.readDecimals = async () => asset.decimals;
    const chosen = { option: required.options[0]!, asset, scheme: exactEvmScheme, usdMicros: 10_000n };
    const { signed, reservation } = await authorizePayment(rt, account, chosen, required, URL, { maxPayment: undefined, approve: undefined, signal: undefined });
    const request: HttpRequest = { url: URL, method: "GET", headers: {}, body: undefined };
    const send = (payment: SignedPayment = signed, signal?: AbortSignal, progress?: (m: string) => void) =>
      sendPaid(rt!, request, chosen, payment, reservation, signal, progress);
    const lastEntry = async () => (await rt!.budget.history({ limit: 1, sinceMs: 0, host: undefined }))[0]!;
    return { signed, headers, send, lastEntry };
  }

  it("resends a timed-out paid request twice at most, the same header each time, then ends unconfirmed noting resent: 2", async () => {
    const { headers, send, lastEntry } = await setup([() => { throw timeout(); }, () => { throw timeout(); }, () => { throw timeout(); }]);
    const progress: string[] = [];
    const error = await send(undefined, undefined, (m) => progress.push(m)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "HTTP_ERROR", details: { resent: 2 } });
    expect((error as Error).message).toMatch(/not resent again after 2 resends \(sent 3 times with payment-identifier pay_[0-9a-f]{32}\)/);
    expect(headers).toHaveLength(3);
    expect(new Set(headers).size).toBe(1);
    expect(progress).toEqual([expect.stringMatching(/\(timeout\); resending .*resend 1 of 2/), expect.stringMatching(/resend 2 of 2/)]);
    const entry = await lastEntry();
    expect(entry.status).toBe("unconfirmed");
    expect(entry.receipt).toMatchObject({ resent: 2, paymentId: expect.stringMatching(/^pay_/), note: expect.stringMatching(/resent: 2/) });
  });

  it("a 5xx without a settlement header is resent; the answer after it is the call's", async () => {
    const { headers, send } = await setup([() => answer(503), () => answer(200)]);
    const result = await send();
    expect(result).toMatchObject({ kind: "paid", response: { status: 200 }, payment: { resent: 1 } });
    expect(headers).toHaveLength(2);
    expect(headers[1]).toBe(headers[0]);
  });

  it("a 5xx that carries a settlement header is the server's answer: not resent", async () => {
    const settlement = Buffer.from(JSON.stringify({ success: false, errorReason: "boom", transaction: "", network: "eip155:84532" })).toString("base64");
    const { headers, send } = await setup([() => answer(500, { "payment-response": settlement })]);
    await send().catch(() => undefined);
    expect(headers).toHaveLength(1);
  });

  it("without the extension a timeout is not resent, and the note says why", async () => {
    const { headers, send, lastEntry } = await setup([() => { throw timeout(); }], false);
    const error = await send().catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/not resent: the server does not offer payment-identifier/);
    expect(headers).toHaveLength(1);
    const entry = await lastEntry();
    expect(entry.receipt?.paymentId).toBeUndefined();
    expect(entry.receipt?.resent).toBeUndefined();
  });

  it("a 409 after a resend stops the call with PAYMENT_REJECTED, nothing more sent, recorded as rejected", async () => {
    const { headers, send, lastEntry } = await setup([() => { throw timeout(); }, () => answer(409)]);
    const error = await send().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "PAYMENT_REJECTED", details: { resent: 1 } });
    expect(headers).toHaveLength(2);
    expect((await lastEntry()).status).toBe("rejected");
  });

  it("a failure that is not in transport (an answer too large) is not resent", async () => {
    const tooLarge = () => {
      throw new CodedError(ErrorCode.HTTP_ERROR, `The response from ${URL} is larger than http.maxBodyBytes.`, { limit: 10 });
    };
    const { headers, send } = await setup([tooLarge]);
    const error = await send().catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/not resent: the failure was not in transport/);
    expect(headers).toHaveLength(1);
  });

  it("an authorization that expires before another send could be settled is not resent", async () => {
    const { signed, headers, send } = await setup([() => { throw timeout(); }]);
    // The wait, the 30 s HTTP timeout and the facilitator's margin do not fit in 20 s.
    const error = await send({ ...signed, validBefore: Math.floor(Date.now() / 1000) + 20 }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/not resent: the authorization expires at .*, too soon for another send to be settled/);
    expect(headers).toHaveLength(1);
  });

  it("a cancelled call is not resent", async () => {
    const controller = new AbortController();
    const { headers, send } = await setup([
      () => {
        controller.abort();
        throw timeout();
      },
    ]);
    const error = await send(undefined, controller.signal).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/not resent: the call was cancelled/);
    expect(headers).toHaveLength(1);
  });

  it("with a last valid block height: resent only while the chain's height, read, leaves room; an unreadable height stops it", async () => {
    const far = await setup([() => { throw timeout(); }, () => answer(200)]);
    rt!.chain.readBlockHeight = async () => 1_000n;
    await expect(far.send({ ...far.signed, lastValidBlockHeight: 1_200n })).resolves.toMatchObject({ kind: "paid", payment: { resent: 1 } });
    expect(far.headers).toHaveLength(2);
    await rt!.close();

    const near = await setup([() => { throw timeout(); }]);
    rt!.chain.readBlockHeight = async () => 1_150n;
    const tooClose = await near.send({ ...near.signed, lastValidBlockHeight: 1_200n }).catch((e: unknown) => e);
    expect((tooClose as Error).message).toMatch(/not resent: the transaction can land until block 1200 and the chain is at 1150/);
    expect(near.headers).toHaveLength(1);
    await rt!.close();

    const unreadable = await setup([() => { throw timeout(); }]);
    rt!.chain.readBlockHeight = async () => {
      throw new Error("RPC down");
    };
    const unknown = await unreadable.send({ ...unreadable.signed, lastValidBlockHeight: 1_200n }).catch((e: unknown) => e);
    expect((unknown as Error).message).toMatch(/not resent: the block height could not be read .*RPC down/);
    expect(unreadable.headers).toHaveLength(1);
  });
});
