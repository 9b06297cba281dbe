import { decodePaymentResponseHeader, wrapFetchWithPayment, x402Client } from "@x402/fetch";
import { ExactSvmScheme } from "@x402/svm/exact/client";
import { ExactSvmSchemeV1 } from "@x402/svm/exact/v1/client";
import { getTransferCheckedInstruction } from "@solana-program/token";
import {
  appendTransactionMessageInstruction,
  createSolanaRpc,
  createTransactionMessage,
  getBase64EncodedWireTransaction,
  getBase64Encoder,
  getCompiledTransactionMessageDecoder,
  getTransactionDecoder,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  signature as toSignature,
} from "@solana/kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { usdToAtomic } from "./token.js";
import { guardLoopback } from "./solana/loopbackGuard.js";
import {
  DEVNET_GENESIS_HASH,
  DEVNET_USDC_MINT,
  LAMPORTS_PER_SOL,
  startSolanaRig, type SolanaRig, type SolanaRigWallet } from "./solana/index.js";

const COMPUTE_BUDGET = "ComputeBudget111111111111111111111111111111";
const TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
const MEMO_PROGRAM = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr";

const fromBase64 = (s: string) => Uint8Array.from(getBase64Encoder().encode(s));
const json = (s: string) => JSON.parse(Buffer.from(s, "base64").toString("utf8")) as Record<string, unknown>;

let rig: SolanaRig;
let startupMs = 0;
const paymentMs: number[] = [];
const loopback = guardLoopback();

beforeAll(async () => {
  const t0 = performance.now();
  rig = await startSolanaRig();
  startupMs = performance.now() - t0;
});

afterAll(async () => {
  loopback.restore();
  if (!rig) return;
  const calls = Object.fromEntries([...rig.rpc.calls].sort());
  console.log(`solana rig: start ${startupMs.toFixed(0)} ms, payments ${paymentMs.map((ms) => ms.toFixed(0)).join(", ")} ms`);
  console.log(`solana rig: RPC methods called ${JSON.stringify(calls)}`);
  await rig.stop();
});

/** The official v2 client with the official SVM scheme, pointed at the rig's RPC; records what it sends. */
function officialClient(wallet: SolanaRigWallet) {
  const sent: Headers[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    sent.push(request.headers);
    return globalThis.fetch(request);
  };
  const client = new x402Client().register(rig.network, new ExactSvmScheme(wallet.signer, { rpcUrl: rig.rpcUrl }));
  return { fetchPaid: wrapFetchWithPayment(recordingFetch, client), sent };
}

async function pay(wallet: SolanaRigWallet, path: string, init?: RequestInit) {
  const { fetchPaid, sent } = officialClient(wallet);
  const t0 = performance.now();
  const res = await fetchPaid(`${rig.v2.url}${path}`, init);
  paymentMs.push(performance.now() - t0);
  const header = res.headers.get("PAYMENT-RESPONSE");
  expect(header, `settlement header on ${path}`).toBeTruthy();
  const paymentHeader = sent.map((h) => h.get("PAYMENT-SIGNATURE")).find(Boolean);
  expect(paymentHeader).toBeTruthy();
  return { res, settlement: decodePaymentResponseHeader(header!), payment: json(paymentHeader!) };
}

describe("solana rig", () => {
  it("serves devnet's genesis hash and a 6-decimal mint at devnet USDC's address", async () => {
    const rpc = createSolanaRpc(rig.rpcUrl);
    expect(await rpc.getGenesisHash().send()).toBe(DEVNET_GENESIS_HASH);
    expect(DEVNET_GENESIS_HASH.slice(0, 32)).toBe(rig.network.split(":")[1]);
    const supply = await rpc.getTokenSupply(DEVNET_USDC_MINT).send();
    expect(supply.value.decimals).toBe(6);
    expect(await rig.usdcBalanceOf(rig.payer.address)).toBe(100_000_000n);
    // The payer holds no SOL: the facilitator pays the fee.
    expect(rig.lamportsOf(rig.payer.address)).toBe(0n);
  });

  it("answers the reads a wallet makes: balances, token accounts, parsed accounts, heights", async () => {
    const rpc = createSolanaRpc(rig.rpcUrl);
    const owner = rig.payer.address;
    const ata = await rig.usdcAta(owner);
    const usdc = { amount: "100000000", decimals: 6, uiAmount: 100, uiAmountString: "100" };
    expect((await rpc.getTokenAccountBalance(ata).send()).value).toEqual(usdc);
    const byOwner = await rpc.getTokenAccountsByOwner(owner, { mint: DEVNET_USDC_MINT }, { encoding: "jsonParsed" }).send();
    expect(byOwner.value.map((a) => a.pubkey)).toEqual([ata]);
    expect(byOwner.value[0]!.account.data.parsed.info).toMatchObject({ owner, mint: DEVNET_USDC_MINT, state: "initialized" });
    const parsedMint = await rpc.getAccountInfo(DEVNET_USDC_MINT, { encoding: "jsonParsed" }).send();
    expect(parsedMint.value!.data).toMatchObject({ program: "spl-token", parsed: { type: "mint", info: { decimals: 6 } } });
    const [feePayer, nobody] = (await rpc.getMultipleAccounts([rig.feePayer, owner], { encoding: "base64" }).send()).value;
    expect(feePayer!.lamports).toBe((await rpc.getBalance(rig.feePayer).send()).value);
    expect(nobody).toBeNull();
    expect(await rpc.getMinimumBalanceForRentExemption(165n).send()).toBe(2_039_280n);
    const { value: latest } = await rpc.getLatestBlockhash().send();
    expect(latest.lastValidBlockHeight).toBe((await rpc.getBlockHeight().send()) + 150n);
    expect((await rpc.isBlockhashValid(latest.blockhash).send()).value).toBe(true);
    expect((await rpc.getEpochInfo().send()).absoluteSlot).toBe(await rpc.getSlot().send());
  });

  it("answers 402 with an exact/SVM option whose extra.feePayer is the facilitator's", async () => {
    const res = await fetch(`${rig.v2.url}/paid`);
    expect(res.status).toBe(402);
    const required = json(res.headers.get("PAYMENT-REQUIRED")!);
    expect(required.x402Version).toBe(2);
    const [option] = required.accepts as Record<string, unknown>[];
    expect(option).toMatchObject({
      scheme: "exact",
      network: rig.network,
      asset: DEVNET_USDC_MINT,
      amount: usdToAtomic("$0.01").toString(),
      payTo: rig.payTo,
      extra: { feePayer: rig.feePayer },
    });
  });

  it("the official client pays GET over v2: exact USDC moved, the facilitator paid the fee", async () => {
    const wallet = await rig.newWallet(5_000_000n);
    const price = usdToAtomic("$0.01");
    const before = {
      payer: await rig.usdcBalanceOf(wallet.address),
      payTo: await rig.usdcBalanceOf(rig.payTo),
      feePayerLamports: rig.lamportsOf(rig.feePayer),
    };

    const { res, settlement, payment } = await pay(wallet, "/paid");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: "paid content", version: 2 });
    expect(settlement).toMatchObject({ success: true, network: rig.network, payer: wallet.address });

    expect(await rig.usdcBalanceOf(wallet.address)).toBe(before.payer - price);
    expect(await rig.usdcBalanceOf(rig.payTo)).toBe(before.payTo + price);

    const rpc = createSolanaRpc(rig.rpcUrl);
    const tx = await rpc
      .getTransaction(toSignature(settlement.transaction), { maxSupportedTransactionVersion: 0, encoding: "json" })
      .send();
    expect(tx).not.toBeNull();
    const meta = tx!.meta!;
    expect(meta.err).toBeNull();
    expect(tx!.transaction.message.accountKeys[0]).toBe(rig.feePayer);
    expect(rig.lamportsOf(rig.feePayer)).toBe(before.feePayerLamports - meta.fee);
    // 2 signatures (fee payer, payer) at 5000 lamports + ceil(20 000 units × 1 µlamport) = 10 001.
    expect(meta.fee).toBe(10_001n);
    const fee = await rpc.getFeeForMessage(transactionMessageBase64(payment) as never).send();
    expect(fee.value).toBe(meta.fee);

    const payerAta = await rig.usdcAta(wallet.address);
    const payToAta = await rig.usdcAta(rig.payTo);
    const amountOf = (list: typeof meta.preTokenBalances, owner: string) =>
      BigInt(list!.find((b) => b.owner === owner && b.mint === DEVNET_USDC_MINT)!.uiTokenAmount.amount);
    expect(amountOf(meta.preTokenBalances, wallet.address) - amountOf(meta.postTokenBalances, wallet.address)).toBe(price);
    expect(amountOf(meta.postTokenBalances, rig.payTo) - amountOf(meta.preTokenBalances, rig.payTo)).toBe(price);
    const keys = tx!.transaction.message.accountKeys;
    expect(keys).toContain(payerAta);
    expect(keys).toContain(payToAta);

    const status = await rpc.getSignatureStatuses([toSignature(settlement.transaction)]).send();
    expect(status.value[0]).toMatchObject({ err: null, confirmationStatus: "finalized" });
  });

  it("the official client's transaction: unit limit, unit price, TransferChecked, memo; fee payer signs last", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const { payment } = await pay(wallet, "/paid");
    expect(payment).toMatchObject({ x402Version: 2, accepted: { scheme: "exact", network: rig.network } });
    const wire = fromBase64((payment.payload as { transaction: string }).transaction);
    const tx = getTransactionDecoder().decode(wire);
    const message = getCompiledTransactionMessageDecoder().decode(tx.messageBytes);
    const keys = message.staticAccounts;
    expect(message.version).toBe(0);
    expect(keys[0]).toBe(rig.feePayer);
    // The client signed for itself only; the fee payer's slot was empty until the facilitator signed.
    expect(Object.keys(tx.signatures)).toEqual([rig.feePayer, wallet.address]);
    expect(tx.signatures[rig.feePayer as keyof typeof tx.signatures]).toBeNull();
    expect(tx.signatures[wallet.address as keyof typeof tx.signatures]).not.toBeNull();

    const ixs = message.instructions.map((ix) => ({
      program: keys[ix.programAddressIndex],
      accounts: (ix.accountIndices ?? []).map((i) => keys[i]),
      data: Uint8Array.from(ix.data ?? []),
    }));
    expect(ixs.map((ix) => ix.program)).toEqual([COMPUTE_BUDGET, COMPUTE_BUDGET, TOKEN_PROGRAM, MEMO_PROGRAM]);
    const view = (d: Uint8Array) => new DataView(d.buffer, d.byteOffset, d.byteLength);
    expect(ixs[0]!.data[0]).toBe(2); // SetComputeUnitLimit
    expect(view(ixs[0]!.data).getUint32(1, true)).toBe(20_000);
    expect(ixs[1]!.data[0]).toBe(3); // SetComputeUnitPrice, micro-lamports
    expect(view(ixs[1]!.data).getBigUint64(1, true)).toBe(1n);
    expect(ixs[2]!.data[0]).toBe(12); // TransferChecked: amount u64, decimals u8
    expect(view(ixs[2]!.data).getBigUint64(1, true)).toBe(usdToAtomic("$0.01"));
    expect(ixs[2]!.data[9]).toBe(6);
    expect(ixs[2]!.accounts).toEqual([
      await rig.usdcAta(wallet.address),
      DEVNET_USDC_MINT,
      await rig.usdcAta(rig.payTo),
      wallet.address,
    ]);
    expect(ixs[3]!.accounts).toEqual([]);
    expect(Buffer.from(ixs[3]!.data).toString("utf8")).toMatch(/^[0-9a-f]{32}$/);
  });

  it("the official client pays POST over v2 and the body reaches the route", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const payToBefore = await rig.usdcBalanceOf(rig.payTo);
    const { res, settlement } = await pay(wallet, "/paid-post", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ hello: "solana" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: { hello: "solana" } });
    expect(settlement.success).toBe(true);
    expect(await rig.usdcBalanceOf(wallet.address)).toBe(1_000_000n - usdToAtomic("$0.02"));
    expect(await rig.usdcBalanceOf(rig.payTo)).toBe(payToBefore + usdToAtomic("$0.02"));
  });

  it("pays in parallel: each signed blockhash stays valid while the others land", async () => {
    const wallets = await Promise.all([1, 2, 3].map(() => rig.newWallet(1_000_000n)));
    const results = await Promise.all(wallets.map((w) => pay(w, "/cheap")));
    expect(results.map((r) => r.res.status)).toEqual([200, 200, 200]);
    for (const w of wallets) expect(await rig.usdcBalanceOf(w.address)).toBe(1_000_000n - usdToAtomic("$0.001"));
  });

  it("the official client pays over v1 (x402-express on solana-devnet, the same facilitator over HTTP)", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const payToBefore = await rig.usdcBalanceOf(rig.payTo);
    const unpaid = await fetch(`${rig.v1.url}/paid`);
    expect(unpaid.status).toBe(402);
    const required = (await unpaid.json()) as { x402Version: number; accepts: Record<string, unknown>[] };
    expect(required.x402Version).toBe(1);
    expect(required.accepts[0]).toMatchObject({
      scheme: "exact",
      network: rig.networkV1,
      maxAmountRequired: usdToAtomic("$0.01").toString(),
      asset: DEVNET_USDC_MINT,
      payTo: rig.payTo,
      extra: { feePayer: rig.feePayer },
    });

    const client = new x402Client().registerV1(rig.networkV1, new ExactSvmSchemeV1(wallet.signer, { rpcUrl: rig.rpcUrl }));
    const t0 = performance.now();
    const paid = await wrapFetchWithPayment(fetch, client)(`${rig.v1.url}/paid`);
    paymentMs.push(performance.now() - t0);
    expect(paid.status).toBe(200);
    expect(await paid.json()).toEqual({ data: "paid content", version: 1 });
    const settlement = json(paid.headers.get("X-PAYMENT-RESPONSE")!);
    expect(settlement).toMatchObject({ success: true, network: rig.networkV1, payer: wallet.address });
    expect(await rig.usdcBalanceOf(wallet.address)).toBe(1_000_000n - usdToAtomic("$0.01"));
    expect(await rig.usdcBalanceOf(rig.payTo)).toBe(payToBefore + usdToAtomic("$0.01"));
  });

  it("refuses a transaction whose blockhash expired, as a cluster does", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const res = await fetch(`${rig.v2.url}/paid`);
    const required = json(res.headers.get("PAYMENT-REQUIRED")!);
    const client = new x402Client().register(rig.network, new ExactSvmScheme(wallet.signer, { rpcUrl: rig.rpcUrl }));
    const payload = await client.createPaymentPayload(required as never);
    rig.advanceBlocks(151n);
    const paid = await fetch(`${rig.v2.url}/paid`, {
      headers: { "PAYMENT-SIGNATURE": Buffer.from(JSON.stringify(payload)).toString("base64") },
    });
    expect(paid.status).toBe(402);
    expect(json(paid.headers.get("PAYMENT-REQUIRED")!).error).toBe("invalid_exact_svm_transaction_simulation_failed");
    const wire = fromBase64((payload.payload as { transaction: string }).transaction);
    expect(rig.chain.simulate(wire, { sigVerify: false, replaceRecentBlockhash: false }).err).toBe("BlockhashNotFound");
    expect(await rig.usdcBalanceOf(wallet.address)).toBe(1_000_000n);
  });

  it("a transfer that fails on chain lands with its error and its fee, as on a cluster", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    rig.airdrop(wallet.address, LAMPORTS_PER_SOL);
    const rpc = createSolanaRpc(rig.rpcUrl);
    const { value: lifetime } = await rpc.getLatestBlockhash().send();
    const overdraw = getTransferCheckedInstruction({
      source: await rig.usdcAta(wallet.address),
      mint: DEVNET_USDC_MINT,
      destination: await rig.usdcAta(rig.payTo),
      authority: wallet.signer,
      amount: 2_000_000n,
      decimals: 6,
    });
    const signed = await signTransactionMessageWithSigners(
      pipe(
        createTransactionMessage({ version: 0 }),
        (m) => setTransactionMessageFeePayerSigner(wallet.signer, m),
        (m) => setTransactionMessageLifetimeUsingBlockhash(lifetime, m),
        (m) => appendTransactionMessageInstruction(overdraw, m),
      ),
    );
    const wire = getBase64EncodedWireTransaction(signed);

    // With preflight the node refuses it; without, it lands and fails, and the fee is taken.
    await expect(rpc.sendTransaction(wire, { encoding: "base64" }).send()).rejects.toThrow();
    const sig = await rpc.sendTransaction(wire, { encoding: "base64", skipPreflight: true }).send();
    // SPL Token's InsufficientFunds in the first instruction (kit reads every JSON number as a bigint).
    const failure = { InstructionError: [0n, { Custom: 1n }] };
    const [status] = (await rpc.getSignatureStatuses([sig]).send()).value;
    expect(status).toMatchObject({ err: failure });
    const tx = await rpc.getTransaction(sig, { maxSupportedTransactionVersion: 0, encoding: "json" }).send();
    expect(tx!.meta!.err).toEqual(failure);
    expect(tx!.meta!.fee).toBe(5_000n);
    expect(rig.lamportsOf(wallet.address)).toBe(LAMPORTS_PER_SOL - 5_000n);
    expect(await rig.usdcBalanceOf(wallet.address)).toBe(1_000_000n);
    // The same transaction again is a duplicate, not a second landing.
    await expect(rpc.sendTransaction(wire, { encoding: "base64", skipPreflight: true }).send()).rejects.toThrow();
  });

  it("the RPC saw no method it does not implement, and nothing left loopback", () => {
    expect(rig.rpc.unknownMethods).toEqual([]);
    expect(loopback.offLoopback).toEqual([]);
  });
});

/** The base64 message of a payment payload's transaction, for getFeeForMessage. */
function transactionMessageBase64(payment: Record<string, unknown>): string {
  const wire = fromBase64((payment.payload as { transaction: string }).transaction);
  const { messageBytes } = getTransactionDecoder().decode(wire);
  return Buffer.from(messageBytes).toString("base64");
}
