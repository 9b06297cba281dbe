import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSIWxHeader, verifySIWxSignature } from "@x402/extensions/sign-in-with-x";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import type { BudgetStore, HistoryEntry, HistoryQuery } from "../../src/budget/types.js";
import { ConfigSchema, type ConfigInput } from "../../src/config/schema.js";
import type { HttpRequest, HttpResponse } from "../../src/http/types.js";
import { signInWithX } from "../../src/payment/signInWithX.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import type { PaymentRequired } from "../../src/x402/types.js";

const NETWORK = "eip155:84532";
const URL_ = "http://127.0.0.1:4000/paid";
const account = privateKeyToAccount(generatePrivateKey());

function response(status: number, request: HttpRequest): HttpResponse {
  return { url: request.url, request, status, headers: {}, body: Buffer.from("{}"), header: () => undefined };
}

function entry(edit: { payer?: string; status?: HistoryEntry["status"]; url?: string } = {}): HistoryEntry {
  const payer = edit.payer ?? account.address;
  const status = edit.status ?? "verified";
  const receipt = { status, payer, transaction: `0x${"ab".repeat(32)}` } as HistoryEntry["receipt"];
  return { id: "p1", at: Date.now() - 3_600_000, meta: { url: edit.url ?? URL_ } as HistoryEntry["meta"], usdMicros: 10_000n, payer, status, receipt };
}

function challenge(edit: { chains?: { chainId: string; type: string }[]; domain?: string } = {}): PaymentRequired {
  const info = { domain: edit.domain ?? "127.0.0.1:4000", uri: URL_, version: "1", nonce: "a1b2c3d4e5f67890a1b2c3d4e5f67890", issuedAt: new Date().toISOString(), resources: [URL_] };
  return {
    x402Version: 2,
    error: undefined,
    resource: { url: URL_ },
    extensions: { "sign-in-with-x": { info, supportedChains: edit.chains ?? [{ chainId: NETWORK, type: "eip191" }] } },
    options: [],
    malformed: [],
  };
}

/** A runtime with the given ledger entries, a server answering the sign-in with `status`, and what both saw. */
async function setUp(entries: HistoryEntry[], opts: { status?: number; config?: Partial<ConfigInput> } = {}) {
  const queries: HistoryQuery[] = [];
  const sent: HttpRequest[] = [];
  const logs: string[] = [];
  const budget = { spending: async (q: HistoryQuery) => (queries.push(q), { entries, byDayAndHost: [] }), close: async () => undefined } as unknown as BudgetStore;
  const config = ConfigSchema.parse({ networks: [NETWORK], ledger: join(mkdtempSync(join(tmpdir(), "siwx-")), "ledger.jsonl"), ...opts.config });
  const base = await createRuntime({ config, account, budget, logger: { log: (_level, message) => void logs.push(message) } });
  opened.push(base);
  const rt: Runtime = { ...base, http: { send: async (request: HttpRequest) => (sent.push(request), response(opts.status ?? 200, request)) } as unknown as Runtime["http"] };
  const answered = response(402, { url: URL_, method: "GET", headers: { accept: "application/json", "Sign-In-With-X": "caller's" }, body: undefined });
  return { rt, answered, queries, sent, logs };
}

const opened: Runtime[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((rt) => rt.close()));
});

describe("signInWithX", () => {
  it("signs with the key that paid, looks back siwx.rememberDays for this owner, and sends the header the official server verifies", async () => {
    const { rt, answered, queries, sent } = await setUp([entry({ url: `${URL_}?q=other` }), entry()], { config: { siwx: { rememberDays: 7 } } });
    const result = await signInWithX(rt, answered, challenge(), undefined);
    expect(result?.signIn).toEqual({ address: account.address, chainId: NETWORK, transaction: `0x${"ab".repeat(32)}` });
    expect(queries).toHaveLength(1);
    expect(Date.now() - 7 * 86_400_000 - queries[0]!.sinceMs).toBeLessThan(60_000);
    expect(queries[0]).toMatchObject({ host: "127.0.0.1", agent: undefined });
    expect(sent).toHaveLength(1);
    // The caller's own header of that name is replaced, the rest of the request kept.
    expect(Object.keys(sent[0]!.headers)).toEqual(["accept", "SIGN-IN-WITH-X"]);
    const payload = parseSIWxHeader(sent[0]!.headers["SIGN-IN-WITH-X"]!);
    expect(await verifySIWxSignature(payload)).toEqual({ isValid: true, payer: account.address });
  });

  it.each([
    ["no earlier payment", [], undefined],
    ["a payment the server rejected", [entry({ status: "rejected" })], undefined],
    ["a payment never confirmed", [entry({ status: "unconfirmed" })], undefined],
    ["a payment for another path", [entry({ url: "http://127.0.0.1:4000/other" })], undefined],
    ["a payment on another port", [entry({ url: "http://127.0.0.1:4001/paid" })], undefined],
  ] as [string, HistoryEntry[], undefined][])("%s: nothing signed, nothing logged", async (_name, entries) => {
    const { rt, answered, sent, logs } = await setUp(entries);
    expect(await signInWithX(rt, answered, challenge(), undefined)).toBeNull();
    expect(sent).toEqual([]);
    expect(logs).toEqual([]);
  });

  it.each([
    ["a payment by another address", {}, [entry({ payer: privateKeyToAccount(generatePrivateKey()).address })], /earlier payments were not made by 0x/],
    ["a Solana chain the owner did not enable", { chains: [{ chainId: "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1", type: "ed25519" }] }, [entry()], /not one of the wallet's networks/],
    ["a chain outside the owner's networks", { chains: [{ chainId: "eip155:8453", type: "eip191" }] }, [entry()], /"eip155:8453" is not one of the wallet's networks/],
    ["a signature type the key does not make", { chains: [{ chainId: NETWORK, type: "ed25519" }] }, [entry()], /signature type "ed25519", where its key signs eip191/],
    ["another domain", { domain: "shop.example" }, [entry()], /domain "shop.example" is not the request's host/],
  ] as [string, Parameters<typeof challenge>[0], HistoryEntry[], RegExp][])("%s: not signed, and the log says why", async (_name, edit, entries, why) => {
    const { rt, answered, sent, logs } = await setUp(entries);
    expect(await signInWithX(rt, answered, challenge(edit), undefined)).toBeNull();
    expect(sent).toEqual([]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^sign-in-with-x: not signing the challenge of http:\/\/127\.0\.0\.1:4000\/paid: /);
    expect(logs[0]).toMatch(why);
  });

  it("a Solana network enabled without a Solana key: the wallet holds no key for it", async () => {
    const devnet = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1";
    const { rt, answered, sent, logs } = await setUp([entry()], { config: { networks: [NETWORK, devnet] } });
    expect(await signInWithX(rt, answered, challenge({ chains: [{ chainId: devnet, type: "ed25519" }] }), undefined)).toBeNull();
    expect(sent).toEqual([]);
    expect(logs[0]).toMatch(/the wallet holds no key for solana:/);
  });

  it("a server answering the signed-in request with another 402: null, so the call pays", async () => {
    const { rt, answered, sent } = await setUp([entry()], { status: 402 });
    expect(await signInWithX(rt, answered, challenge(), undefined)).toBeNull();
    expect(sent).toHaveLength(1);
  });

  it("siwx.enabled false: the ledger is not even read", async () => {
    const { rt, answered, sent, queries } = await setUp([entry()], { config: { siwx: { enabled: false } } });
    expect(await signInWithX(rt, answered, challenge(), undefined)).toBeNull();
    expect(queries).toEqual([]);
    expect(sent).toEqual([]);
  });
});
