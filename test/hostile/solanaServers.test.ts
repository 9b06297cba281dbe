import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getBase58Decoder, lamports, type Address } from "@solana/kit";
import { AccountState, findAssociatedTokenPda, getMintEncoder, getMintSize, getTokenEncoder, getTokenSize, TOKEN_PROGRAM_ADDRESS } from "@solana-program/token";
import type { x402Facilitator } from "@x402/core/facilitator";
import { ExactSvmScheme as OfficialSvmClient } from "@x402/svm/exact/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSvmFacilitator, LAMPORTS_PER_SOL, startSolanaRig, type SolanaRig, type SolanaRigWallet } from "../rig/solana/index.js";
import { TOKEN_2022_PROGRAM_ADDRESS } from "../rig/solana/tokenAccounts.js";
import { startMcp, textOf, type McpSession } from "../e2e/mcpClient.js";
import { send402v1, send402v2, settlementHeader, startHostileServer, type HostileServer } from "./hostileServer.js";

const DEVNET = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1";

/**
 * Hostile servers asking for Solana payments, against the real SVM rig: each case ends in a
 * clear error with nothing signed (payment headers are counted at the server), one signature
 * and PAYMENT_REJECTED, or a receipt that says what is wrong; USDC moves only where a
 * payment really settled.
 */
describe("hostile x402 servers on Solana", () => {
  let rig: SolanaRig;
  let wallet: SolanaRigWallet;
  let facilitator: x402Facilitator;
  let feePayer: SolanaRigWallet;
  let evil: HostileServer;
  let mcp: McpSession;
  let token2022Mint: Address;
  let otherTransfer: string;
  let honestSignature: string | undefined;
  const ledger = join(mkdtempSync(join(tmpdir(), "x402-hostile-svm-")), "ledger.jsonl");

  const svm = (overrides: Record<string, unknown> = {}) => ({
    scheme: "exact",
    network: DEVNET,
    amount: "10000",
    asset: rig.usdc,
    payTo: rig.payTo,
    maxTimeoutSeconds: 60,
    extra: { feePayer: feePayer.address },
    ...overrides,
  });

  /** Settles a PAYMENT-SIGNATURE for real through the official facilitator; the transaction's signature. */
  const settle = async (header: string): Promise<string> => {
    const payment = JSON.parse(Buffer.from(header, "base64").toString("utf8"));
    const result = await facilitator.settle(payment, payment.accepted);
    if (!result.success) throw new Error(`settlement failed: ${result.errorReason}`);
    return result.transaction;
  };
  const settled = (res: import("node:http").ServerResponse, transaction: string) =>
    res.writeHead(200, { "PAYMENT-RESPONSE": settlementHeader({ success: true, transaction, network: DEVNET }) }).end("content");

  beforeAll(async () => {
    rig = await startSolanaRig();
    wallet = await rig.newWallet(10_000_000n);
    feePayer = await rig.newWallet();
    rig.airdrop(feePayer.address, LAMPORTS_PER_SOL);
    ({ facilitator } = createSvmFacilitator({ feePayer: feePayer.signer, rpcUrl: rig.rpcUrl }));

    // Real Token-2022 mints (the SPL Token mint layout, owned by the Token-2022 program): one listed in the config, one not.
    const token2022 = async () => {
      const mint = (await rig.newWallet()).address;
      rig.chain.svm.setAccount({
        address: mint,
        executable: false,
        lamports: lamports(rig.chain.svm.minimumBalanceForRentExemption(BigInt(getMintSize()))),
        programAddress: TOKEN_2022_PROGRAM_ADDRESS,
        space: BigInt(getMintSize()),
        data: Uint8Array.from(getMintEncoder().encode({ mintAuthority: null, supply: 0n, decimals: 6, isInitialized: true, freezeAuthority: null })),
      });
      return mint;
    };
    token2022Mint = await token2022();
    // The wallet holds some of the listed one (at the address a balance read looks), so only the mint's program can refuse it.
    const [held] = await findAssociatedTokenPda({ mint: token2022Mint, owner: wallet.address, tokenProgram: TOKEN_PROGRAM_ADDRESS });
    rig.chain.svm.setAccount({
      address: held,
      executable: false,
      lamports: lamports(rig.chain.svm.minimumBalanceForRentExemption(BigInt(getTokenSize()))),
      programAddress: TOKEN_2022_PROGRAM_ADDRESS,
      space: BigInt(getTokenSize()),
      data: Uint8Array.from(
        getTokenEncoder().encode({ mint: token2022Mint, owner: wallet.address, amount: 1_000_000n, delegate: null, state: AccountState.Initialized, isNative: null, delegatedAmount: 0n, closeAuthority: null }),
      ),
    });
    const unlistedToken2022 = await token2022();

    // A real payment of another amount by another wallet, for a server to claim as its settlement.
    const other = await rig.newWallet(1_000_000n);
    const requirements = svm({ amount: "123" }) as any;
    const partial = await new OfficialSvmClient(other.signer, { rpcUrl: rig.rpcUrl }).createPaymentPayload(2, requirements);
    const otherResult = await facilitator.settle({ ...partial, accepted: requirements, resource: { url: "http://hostile.test/" } } as any, requirements);
    if (!otherResult.success) throw new Error(`rig: the other payment failed: ${otherResult.errorReason}`);
    otherTransfer = otherResult.transaction;

    evil = await startHostileServer({
      "/extra-string": (_req, res) => send402v2(res, [svm({ extra: "garbage" })]),
      "/extra-array": (_req, res) => send402v2(res, [svm({ extra: [feePayer.address] })]),
      "/fee-payer-number": (_req, res) => send402v2(res, [svm({ extra: { feePayer: 42 } })]),
      "/fee-payer-junk": (_req, res) => send402v2(res, [svm({ extra: { feePayer: "0OIl+not/base58" } })]),
      "/fee-payer-evm": (_req, res) => send402v2(res, [svm({ extra: { feePayer: "0x7777777777777777777777777777777777777777" } })]),
      "/memo-object": (_req, res) => send402v2(res, [svm({ extra: { feePayer: feePayer.address, memo: { a: 1 } } })]),
      "/memo-long": (_req, res) => send402v2(res, [svm({ extra: { feePayer: feePayer.address, memo: "x".repeat(257) } })]),
      "/fee-payer-self": (_req, res) => send402v2(res, [svm({ extra: { feePayer: wallet.address } })]),
      "/v1-fee-payer-self": (_req, res) => send402v1(res, [v1svm({ extra: { feePayer: wallet.address } })]),
      "/unknown-mint": (_req, res) => send402v2(res, [svm({ asset: feePayer.address })]),
      "/token-2022-unlisted": (_req, res) => send402v2(res, [svm({ asset: unlistedToken2022 })]),
      "/token-2022-listed": (_req, res) => send402v2(res, [svm({ asset: token2022Mint })]),
      "/usdc-mainnet-mint": (_req, res) => send402v2(res, [svm({ asset: "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v" })]),
      "/payto-junk": (_req, res) => send402v2(res, [svm({ payTo: "alice" })]),
      "/payto-evm": (_req, res) => send402v2(res, [svm({ payTo: "0x7777777777777777777777777777777777777777" })]),
      "/payto-too-long": (_req, res) => send402v2(res, [svm({ payTo: `${rig.payTo}${rig.payTo}` })]),
      "/amount-zero": (_req, res) => send402v2(res, [svm({ amount: "0" })]),
      "/above-cap": (_req, res) => send402v2(res, [svm({ amount: "100001" })]),
      "/u64-max": (_req, res) => send402v2(res, [svm({ amount: (2n ** 64n - 1n).toString() })]),
      "/beyond-u64": (_req, res) => send402v2(res, [svm({ amount: (2n ** 64n).toString() })]),
      "/again-same": (_req, res, { paid }) => send402v2(res, [svm()], paid ? "payment_invalid" : undefined),
      "/again-higher": (_req, res, { paid }) => send402v2(res, [svm({ amount: paid ? "50000" : "10000" })], paid ? "price went up" : undefined),
      "/honest": (req, res, { paid }) => {
        if (!paid) return send402v2(res, [svm()]);
        settle(String(req.headers["payment-signature"])).then(
          (transaction) => settled(res, (honestSignature = transaction)),
          (error: Error) => res.writeHead(500).end(error.message),
        );
      },
      "/pay-self": (req, res, { paid }) => {
        if (!paid) return send402v2(res, [svm({ payTo: wallet.address })]);
        settle(String(req.headers["payment-signature"])).then(
          (transaction) => settled(res, transaction),
          (error: Error) => res.writeHead(500).end(error.message),
        );
      },
      "/other-signature": (_req, res, { paid }) => (paid ? settled(res, honestSignature!) : send402v2(res, [svm()])),
      "/wrong-amount": (_req, res, { paid }) => (paid ? settled(res, otherTransfer) : send402v2(res, [svm()])),
      "/phantom-signature": (_req, res, { paid }) =>
        paid ? settled(res, getBase58Decoder().decode(randomBytes(64))) : send402v2(res, [svm()]),
    });

    mcp = await startMcp({
      config: {
        networks: [DEVNET],
        rpc: { [DEVNET]: rig.rpcUrl },
        hosts: { allowPrivate: true },
        budget: { perCall: "0.10", perSession: "100", perDay: "100" },
        // Listed, so the table is not what refuses it: the chain read of its program is.
        assets: [{ network: DEVNET, address: token2022Mint, symbol: "T22", decimals: 6, usdPerUnit: "1" }],
        http: { timeoutMs: 3000 },
        verifyTimeoutMs: 1000,
        ledger,
      },
      env: { X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 },
    });
  }, 120_000);

  afterAll(async () => {
    await mcp?.close();
    await evil?.close();
    await rig?.stop();
  });

  const v1svm = (overrides: Record<string, unknown> = {}) => {
    const { amount, network: _n, ...rest } = svm();
    return { ...rest, network: "solana-devnet", maxAmountRequired: amount, resource: "http://hostile.test/", description: "", mimeType: "", ...overrides };
  };
  const call = (path: string) => mcp.call("paid_fetch", { url: `${evil.url}${path}` });

  it.each([
    ["/extra-string", /^\[INVALID_PAYMENT_REQUIRED\] .*extra/],
    ["/extra-array", /^\[INVALID_PAYMENT_REQUIRED\] .*extra/],
    ["/fee-payer-number", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*extra\.feePayer 42 is not a Solana address/],
    ["/fee-payer-junk", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*extra\.feePayer "0OIl\+not\/base58" is not a Solana address/],
    ["/fee-payer-evm", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*extra\.feePayer "0x7777777777777777777777777777777777777777" is not a Solana address/],
    ["/memo-object", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*extra\.memo is not a string/],
    ["/memo-long", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*extra\.memo is longer than 256 bytes/],
    ["/fee-payer-self", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*names this wallet's own address .* as the fee payer/],
    ["/v1-fee-payer-self", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*names this wallet's own address .* as the fee payer/],
    ["/unknown-mint", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*not a known token on solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1/],
    ["/token-2022-unlisted", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*not a known token on solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1/],
    ["/token-2022-listed", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*owned by TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb, not an SPL Token mint/],
    ["/usdc-mainnet-mint", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v is not a known token on solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1/],
    ["/payto-junk", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*payTo "alice" is not a Solana address/],
    ["/payto-evm", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*payTo "0x7777777777777777777777777777777777777777" is not a Solana address/],
    ["/payto-too-long", /^\[NO_ACCEPTABLE_PAYMENT_OPTION\] .*is not a Solana address/],
    ["/amount-zero", /^\[INVALID_PAYMENT_REQUIRED\] .*amount must be greater than zero/],
    ["/above-cap", /^\[PRICE_ABOVE_CALL_LIMIT\] .*costs 0\.100001 USD/],
    ["/u64-max", /^\[PRICE_ABOVE_CALL_LIMIT\] .*the per-call limit is 0\.10 USD/],
    ["/beyond-u64", /^\[(NO_ACCEPTABLE_PAYMENT_OPTION|PRICE_ABOVE_CALL_LIMIT)\] /],
  ])("%s: refused with a clear code, nothing signed", async (path, message) => {
    const result = await call(path);
    expect(result.isError, textOf(result)).toBe(true);
    expect(textOf(result)).toMatch(message);
    expect(evil.paymentsAt(path)).toBe(0);
  });

  it.each(["/again-same", "/again-higher"])("%s: a 402 after paying gets exactly one signature and PAYMENT_REJECTED", async (path) => {
    const result = await call(path);
    expect(textOf(result)).toMatch(/^\[PAYMENT_REJECTED\] .*not paid a second time/);
    expect(evil.paymentsAt(path)).toBe(1);
  });

  it("an honest settlement through the official facilitator is verified (the control for the cases below)", async () => {
    const result = await call("/honest");
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((result.structuredContent as any).payment).toMatchObject({ status: "verified", transaction: honestSignature });
  });

  it.each([
    ["/other-signature", "mismatch", /does not carry this wallet's signature/],
    ["/wrong-amount", "mismatch", /does not carry this wallet's signature/],
    // The chain cannot tell a signature it never saw from one not landed yet: counted as spent until the blockhash expires.
    // Our own signature on a real transaction, but the payer's balance did not go down by the amount.
    ["/pay-self", "mismatch", /moved 0 of .* out of .*; 10000 was signed/],
    ["/phantom-signature", "settled", /is not confirmed yet/],
  ])("%s: the content comes back and the receipt says what is wrong", async (path, status, note) => {
    const result = await call(path);
    expect(result.isError, textOf(result)).toBeFalsy();
    const out = result.structuredContent as any;
    expect(out.body).toBe("content");
    expect(out.payment.status).toBe(status);
    expect(out.payment.note).toMatch(note);
    if (status === "mismatch") expect(textOf(result)).toMatch(/^content\n\nWARNING: /);
    expect(evil.paymentsAt(path)).toBe(1);
  });

  it("moved USDC only where a payment really settled, and never the key", async () => {
    // The other wallet's 123 and our one honest 10000: nothing the hostile servers were sent reached the chain.
    expect(await rig.usdcBalanceOf(wallet.address)).toBe(10_000_000n - 10_000n);
    expect(rig.lamportsOf(wallet.address)).toBe(0n);
    const text = [mcp.stderr(), mcp.transcript(), readFileSync(ledger, "utf8")].join("\n");
    expect(text).not.toContain(wallet.secretKeyBase58);
  });
});
