import { decodePaymentResponseHeader } from "@x402/fetch";
import { getAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assetTable } from "../../../src/chains/assets.js";
import { evmReads } from "../../../src/chains/evm/reads.js";
import type { ChainReads, ExpectedSettlement } from "../../../src/chains/types.js";
import { ConfigSchema } from "../../../src/config/schema.js";
import { encodeJsonHeader } from "../../../src/x402/headers.js";
import { parsePaymentRequired } from "../../../src/x402/parsePaymentRequired.js";
import { evaluateOptions } from "../../../src/x402/select.js";
import { createSignerClient } from "../../rig/chain.js";
import { PERMIT2_EXACT_PRICE, plainTokenAbi, startRig, type Rig, type RigPermit2, type RigWallet } from "../../rig/index.js";

/**
 * The Permit2 proof of a receipt against the real chain: payments signed by our scheme and
 * settled by the official facilitator, then named to the check right and wrong.
 */
describe("verifySettlement for Permit2 payments", () => {
  let rig: Rig;
  let p2: RigPermit2;
  let wallet: RigWallet;
  let reads: ChainReads;
  const paid: { nonce: string; transaction: string }[] = [];

  async function payOnce(): Promise<{ nonce: string; transaction: string }> {
    const first = await fetch(p2.urls.exact);
    const required = parsePaymentRequired({ url: p2.urls.exact, header: (name) => first.headers.get(name) ?? undefined, bodyText: await first.text() });
    const assets = assetTable(ConfigSchema.parse({ assets: [{ network: "eip155:84532", address: p2.token, symbol: "PLAIN", decimals: 18, usdPerUnit: "1" }] }).assets);
    const [chosen] = evaluateOptions(required, { networks: ["eip155:84532"], assets, payees: { allow: [], deny: [] } }).payable;
    const signed = await chosen!.scheme.prepare({ account: privateKeyToAccount(wallet.privateKey), option: chosen!.option, asset: chosen!.asset, required }).sign();
    const res = await fetch(p2.urls.exact, { headers: { "PAYMENT-SIGNATURE": encodeJsonHeader(signed.payload) } });
    expect(res.status).toBe(200);
    const settlement = decodePaymentResponseHeader(res.headers.get("PAYMENT-RESPONSE")!);
    return { nonce: signed.nonce!, transaction: settlement.transaction };
  }

  const expected = (nonce: string, transaction: string, overrides: Partial<ExpectedSettlement> = {}): ExpectedSettlement => ({
    network: "eip155:84532",
    transaction,
    asset: p2.token,
    from: wallet.address,
    to: rig.payTo,
    amount: PERMIT2_EXACT_PRICE,
    authorization: { kind: "permit2", nonce },
    ...overrides,
  });

  beforeAll(async () => {
    rig = await startRig({ permit2: true });
    p2 = rig.permit2!;
    wallet = await rig.newWallet();
    await p2.mintToken(wallet.address, PERMIT2_EXACT_PRICE * 5n);
    await p2.approvePermit2(wallet, p2.token);
    reads = evmReads({ "eip155:84532": rig.rpcUrl }, 5_000);
    paid.push(await payOnce(), await payOnce());
  });
  afterAll(async () => {
    await reads?.close();
    await rig?.stop();
  });

  it("verifies each payment by its own transaction", async () => {
    for (const { nonce, transaction } of paid) expect(await reads.verifySettlement(expected(nonce, transaction), 5_000)).toEqual({ status: "verified" });
  });

  it("a server naming an earlier payment's transaction (same price, same parties) gets mismatch, naming the other nonce", async () => {
    const result = await reads.verifySettlement(expected(paid[1]!.nonce, paid[0]!.transaction), 5_000);
    expect(result.status).toBe("mismatch");
    expect((result as { detail: string }).detail).toContain(`settles Permit2 nonce ${paid[0]!.nonce} of ${getAddress(wallet.address)}, not this payment's (nonce ${paid[1]!.nonce}`);
  });

  it("a transaction that is no call to an x402 proxy is never verified, even with the same Transfer", async () => {
    // A plain transfer of the same terms (the payer sends it itself) moves the amount but names no nonce.
    const signer = createSignerClient(rig.rpcUrl, rig.chain, privateKeyToAccount(wallet.privateKey));
    const hash = await signer.writeContract({ address: p2.token, abi: plainTokenAbi, functionName: "transfer", args: [rig.payTo, PERMIT2_EXACT_PRICE] });
    await rig.publicClient.waitForTransactionReceipt({ hash });
    const result = await reads.verifySettlement(expected(paid[0]!.nonce, hash), 5_000);
    expect(result.status).toBe("unattributed");
    expect((result as { detail: string }).detail).toContain("not x402's Permit2 proxies");
  });

  it("this payment's nonce with another amount or payee claimed is mismatch", async () => {
    const wrongAmount = await reads.verifySettlement(expected(paid[0]!.nonce, paid[0]!.transaction, { amount: PERMIT2_EXACT_PRICE - 1n }), 5_000);
    expect(wrongAmount.status).toBe("mismatch");
    const wrongPayee = await reads.verifySettlement(expected(paid[0]!.nonce, paid[0]!.transaction, { to: wallet.address }), 5_000);
    expect(wrongPayee.status).toBe("mismatch");
  });
});
