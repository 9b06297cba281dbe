import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { FileBudgetStore } from "../../src/budget/fileStore.js";
import type { BudgetStore, SignedAuthorization } from "../../src/budget/types.js";
import { KNOWN_ASSETS } from "../../src/chains/evm/assets.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { authorizePayment } from "../../src/payment/authorizePayment.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { exactEvmScheme } from "../../src/chains/evm/schemes/exact-eip3009/index.js";
import type { PaymentScheme } from "../../src/chains/types.js";
import { parsePaymentRequired } from "../../src/x402/parsePaymentRequired.js";
import type { PayableOption } from "../../src/x402/select.js";
import { v2Requirement, v2Response } from "../x402/helpers.js";

const account = privateKeyToAccount(generatePrivateKey());
const asset = KNOWN_ASSETS.find((a) => a.network === "eip155:84532")!;
const required = parsePaymentRequired(v2Response([v2Requirement()]));
const URL_PAID = "http://api.test/paid";
const runtimes: Runtime[] = [];

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((rt) => rt.close()));
});

/** A runtime on a real file ledger whose `recordSigned` the test can hold back or fail. */
async function runtimeWith(
  recordSigned: (inner: BudgetStore["recordSigned"], ...args: Parameters<BudgetStore["recordSigned"]>) => Promise<void>,
  ledger = join(mkdtempSync(join(tmpdir(), "authorize-")), "ledger.jsonl"),
) {
  const store = await FileBudgetStore.open(ledger, { log() {} });
  const budget: BudgetStore = {
    reserve: (request) => store.reserve(request),
    recordSigned: (...args) => recordSigned(store.recordSigned.bind(store), ...args),
    commit: (reservation, outcome) => store.commit(reservation, outcome),
    release: (reservation) => store.release(reservation),
    settleActual: (reservation, usdMicros) => store.settleActual(reservation, usdMicros),
    expire: (id, reason) => store.expire(id, reason),
    recordExternal: (transfer) => store.recordExternal(transfer),
    usage: (query) => store.usage(query),
    history: (query) => store.history(query),
    spending: (query) => store.spending(query),
    close: () => store.close(),
  };
  const config = ConfigSchema.parse({ networks: ["eip155:84532"], budget: { perCall: "1", perDay: "10" } });
  const rt = await createRuntime({ config, account, budget, logger: { log() {} } });
  runtimes.push(rt);
  // A recent balance reading covers the price: no RPC.
  rt.balances.record(asset, account.address, 10n ** 12n);
  // The token's decimals() as on record, without an RPC (there is no chain here).
  rt.chain.readDecimals = async () => asset.decimals;
  return { rt, ledger };
}

function payable(scheme: PaymentScheme = exactEvmScheme): PayableOption {
  return { option: required.options[0]!, asset, scheme, usdMicros: 10_000n };
}

const noOptions = { maxPayment: undefined, approve: undefined, signal: undefined };
const lines = (ledger: string) => readFileSync(ledger, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; nonce?: string });

describe("authorizePayment", () => {
  it("records the terms while the key signs them, and returns the signature only once the record is in", async () => {
    const events: string[] = [];
    let finishRecord!: () => void;
    // Made before the record starts: the signature may be done before the store's own write is.
    const recordMayFinish = new Promise<void>((resolve) => (finishRecord = resolve));
    const { rt, ledger } = await runtimeWith(async (inner, reservation, authorization: SignedAuthorization) => {
      events.push("record started");
      await inner(reservation, authorization);
      await recordMayFinish;
      events.push("record durable");
    });
    const watched: PaymentScheme = {
      ...exactEvmScheme,
      prepare(input) {
        const prepared = exactEvmScheme.prepare(input);
        return { ...prepared, sign: () => prepared.sign().finally(() => events.push("signed")) };
      },
    };
    const authorizing = authorizePayment(rt, account, payable(watched), required, URL_PAID, noOptions).then((a) => {
      events.push("returned");
      return a;
    });
    await expect.poll(() => events).toEqual(["record started", "signed"]);
    finishRecord();
    const { signed } = await authorizing;
    expect(events).toEqual(["record started", "signed", "record durable", "returned"]);
    const sign = lines(ledger).find((l) => l.type === "sign");
    expect(sign?.nonce).toBe(signed.nonce);
  });

  it("gives no signature when the record cannot be written", async () => {
    const { rt } = await runtimeWith(async () => {
      throw Object.assign(new Error("disk full"), { code: "BUDGET_STORE_UNAVAILABLE" });
    });
    await expect(authorizePayment(rt, account, payable(), required, URL_PAID, noOptions)).rejects.toThrow("disk full");
  });

  it("refuses without a signature, giving the amount back, when the caps no longer allow it at signing", async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), "authorize-")), "ledger.jsonl");
    // Another server on the same ledger, with a looser daily cap, spends while this payment waits.
    const other = await FileBudgetStore.open(ledger, { log() {} });
    const { rt } = await runtimeWith(async (inner, ...args) => {
      await other.reserve({
        sessionId: "other",
        usdMicros: 9_995_000n,
        limits: { perCall: 10_000_000n, perSession: 10_000_000n, perDay: 20_000_000n, hosts: [] },
        meta: { url: "http://other.test/x", host: "other.test", network: "eip155:84532", asset: asset.address, amountAtomic: 9_995_000n, payTo: "0xB" },
      });
      return inner(...args);
    }, ledger);
    const error = await authorizePayment(rt, account, payable(), required, URL_PAID, noOptions).catch((e: unknown) => e);
    await other.close();
    expect(error).toMatchObject({ code: "DAILY_BUDGET_EXCEEDED" });
    expect((error as Error).message).toMatch(/only 0\.005 USD of the 10\.00 USD daily budget.*not sent.*nothing was paid/is);
    expect(lines(ledger).map((l) => l.type)).toEqual(["reserve", "reserve", "release"]);
    expect(await rt.budget.usage({ sessionId: rt.sessionId, hostPatterns: [] })).toMatchObject({ session: 0n, day: 9_995_000n });
  });

  it("a signing failure after the terms are on record says nothing was paid and keeps the amount counted", async () => {
    const { rt } = await runtimeWith((inner, ...args) => inner(...args));
    const broken: PaymentScheme = {
      ...exactEvmScheme,
      prepare: (input) => ({ ...exactEvmScheme.prepare(input), sign: () => Promise.reject(new Error("hardware wallet unplugged")) }),
    };
    const error = await authorizePayment(rt, account, payable(broken), required, URL_PAID, noOptions).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "SIGNING_FAILED" });
    expect((error as Error).message).toMatch(/hardware wallet unplugged.*Nothing was paid; the amount stays counted/);
    const usage = await rt.budget.usage({ sessionId: rt.sessionId, hostPatterns: [] });
    expect(usage.session).toBe(10_000n);
    const [entry] = await rt.budget.history({ limit: 1, sinceMs: 0, host: undefined });
    expect(entry).toMatchObject({ status: "unconfirmed", receipt: { note: expect.stringContaining("nothing left this process") } });
  });

  it("a call cancelled before the terms are recorded releases its reservation", async () => {
    const { rt, ledger } = await runtimeWith((inner, ...args) => inner(...args));
    const controller = new AbortController();
    controller.abort();
    await expect(authorizePayment(rt, account, payable(), required, URL_PAID, { ...noOptions, signal: controller.signal })).rejects.toThrow(/cancelled before payment/);
    expect(lines(ledger).map((l) => l.type)).toEqual(["reserve", "release"]);
    expect((await rt.budget.usage({ sessionId: rt.sessionId, hostPatterns: [] })).session).toBe(0n);
  });
});
