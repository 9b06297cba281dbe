import { createWalletClient, encodeFunctionData, http, parseAbi, parseEther, type Address, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PublicClients } from "../../src/chains/evm/publicClients.js";
import { verifySettlementOnChain, type ExpectedTransfer } from "../../src/chains/evm/verifySettlement.js";
import { randomAuthorizationNonce, signTransferAuthorization } from "../../src/chains/evm/schemes/exact-eip3009/signTransferAuthorization.js";
import { compileContracts } from "../rig/compile.js";
import { MULTICALL3_ADDRESS, startRig, usdcAbi, type Rig } from "../rig/index.js";
import { startRelayer, type Relayer, type SignedAuthorization } from "../rig/relayer.js";

const multicallAbi = parseAbi([
  "function aggregate3((address target, bool allowFailure, bytes callData)[] calls) payable returns ((bool success, bytes returnData)[] returnData)",
]);
/** Another contract running the token's own code: its AuthorizationUsed events prove nothing about the asset. */
const DECOY: Address = "0xdec0000000000000000000000000000000000001";

describe("verifySettlementOnChain", () => {
  let rig: Rig;
  let clients: PublicClients;
  let relayer: Relayer;
  let payer: PrivateKeyAccount;
  const to: Address = "0x3333333333333333333333333333333333333333";
  /** The authorization the relayer settled, in `settledTx`. */
  const settledNonce = randomAuthorizationNonce();
  let settledTx: Hex;
  /** A plain ERC-20 transfer of the same terms: no authorization at all. */
  let plainTx: Hex;
  /** USDC moved under one nonce, and the decoy token used the nonce the test expects. */
  const decoyNonce = randomAuthorizationNonce();
  let decoyTx: Hex;

  const authorize = (nonce: Hex, asset: Address = rig.usdc): Promise<SignedAuthorization> => {
    const authorization = { from: payer.address, to, value: "12345", validAfter: "0", validBefore: "9999999999", nonce };
    const domain = { name: "USDC", version: "2", chainId: rig.chainId, verifyingContract: asset };
    return signTransferAuthorization(payer, domain, authorization).then((signature) => ({ authorization, signature }));
  };
  const transferWithAuthorization = ({ authorization: a, signature }: SignedAuthorization) =>
    encodeFunctionData({
      abi: usdcAbi,
      functionName: "transferWithAuthorization",
      args: [a.from, a.to, BigInt(a.value), BigInt(a.validAfter), BigInt(a.validBefore), a.nonce, signature],
    });

  beforeAll(async () => {
    rig = await startRig();
    clients = new PublicClients({ "eip155:84532": rig.rpcUrl }, 5_000);
    relayer = await startRelayer(rig);
    const wallet = await rig.newWallet(1_000_000n);
    payer = privateKeyToAccount(wallet.privateKey);

    settledTx = await relayer.settle(await authorize(settledNonce));

    await rig.testClient.setBalance({ address: payer.address, value: parseEther("1") });
    const payerWallet = createWalletClient({ account: payer, chain: rig.chain, transport: http(rig.rpcUrl) });
    plainTx = await payerWallet.writeContract({ address: rig.usdc, abi: usdcAbi, functionName: "transfer", args: [to, 12_345n] });
    await rig.publicClient.waitForTransactionReceipt({ hash: plainTx });

    await rig.testClient.setCode({ address: DECOY, bytecode: compileContracts().TestUSDC });
    const decoyMint = await relayer.client.writeContract({ address: DECOY, abi: usdcAbi, functionName: "mint", args: [payer.address, 12_345n] });
    await relayer.client.waitForTransactionReceipt({ hash: decoyMint });
    const calls = [
      { target: rig.usdc, allowFailure: false, callData: transferWithAuthorization(await authorize(randomAuthorizationNonce())) },
      { target: DECOY, allowFailure: false, callData: transferWithAuthorization(await authorize(decoyNonce, DECOY)) },
    ];
    decoyTx = await relayer.client.writeContract({ address: MULTICALL3_ADDRESS, abi: multicallAbi, functionName: "aggregate3", args: [calls] });
    const decoyReceipt = await relayer.client.waitForTransactionReceipt({ hash: decoyTx });
    expect(decoyReceipt.status).toBe("success");
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const expected = (change: Partial<ExpectedTransfer> = {}): ExpectedTransfer => ({
    network: "eip155:84532",
    transaction: settledTx,
    asset: rig.usdc,
    from: payer.address,
    to,
    amount: 12_345n,
    authorization: { kind: "eip3009", nonce: settledNonce },
    ...change,
  });

  it("verifies the transaction that used this authorization and moved exactly what was signed", async () => {
    expect(await verifySettlementOnChain(clients, expected(), 2_000)).toEqual({ status: "verified" });
  });

  it("reports a mismatch for a transaction that settled another authorization of the same terms, naming both nonces", async () => {
    const ours = randomAuthorizationNonce();
    const result = await verifySettlementOnChain(clients, expected({ authorization: { kind: "eip3009", nonce: ours } }), 2_000);
    expect(result.status).toBe("mismatch");
    expect((result as { detail: string }).detail).toBe(
      `transaction ${settledTx} settles another authorization of ${payer.address} (nonce ${settledNonce}), not this payment's (nonce ${ours})`,
    );
  });

  it("reports a mismatch for a plain transfer of the same terms: no authorization was used", async () => {
    const result = await verifySettlementOnChain(clients, expected({ transaction: plainTx }), 2_000);
    expect(result.status).toBe("mismatch");
    expect((result as { detail: string }).detail).toMatch(
      new RegExp(`^transaction ${plainTx} does not use this payment's authorization \\(nonce ${settledNonce} of ${payer.address} on ${rig.usdc}\\); it uses none`),
    );
  });

  it("reports a mismatch when only another contract emitted AuthorizationUsed for this nonce", async () => {
    const result = await verifySettlementOnChain(clients, expected({ transaction: decoyTx, authorization: { kind: "eip3009", nonce: decoyNonce } }), 2_000);
    expect(result.status).toBe("mismatch");
    expect((result as { detail: string }).detail).toMatch(new RegExp(`settles another authorization .*not this payment's \\(nonce ${decoyNonce}\\)`));
  });

  it("never verifies without an authorization to tie the transfer to this payment", async () => {
    const result = await verifySettlementOnChain(clients, expected({ authorization: undefined }), 2_000);
    expect(result).toEqual({
      status: "unattributed",
      detail: `transaction ${settledTx} transfers what was signed, but this payment has no authorization id to tell it from another payment of the same terms`,
    });
  });

  it.each([
    ["another amount", { amount: 12_346n }],
    ["another payee", { to: "0x4444444444444444444444444444444444444444" }],
    ["another payer", { from: "0x5555555555555555555555555555555555555555" }],
    ["another token", { asset: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913" }],
  ])("reports a mismatch for %s, with both values", async (_label, change) => {
    const result = await verifySettlementOnChain(clients, expected(change), 2_000);
    expect(result.status).toBe("mismatch");
    expect((result as { detail: string }).detail).toMatch(/it shows 12345 of 0x036CbD53842c5426634e7929541eC2318f3dCF7e/);
  });

  it("says unknown, within the bound, for a hash the chain does not know", async () => {
    const started = Date.now();
    const result = await verifySettlementOnChain(clients, expected({ transaction: `0x${"ab".repeat(32)}` }), 500);
    expect(result.status).toBe("unknown");
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("says pending when the RPC cannot answer", async () => {
    const dead = new PublicClients({ "eip155:84532": "http://127.0.0.1:9" }, 300);
    expect((await verifySettlementOnChain(dead, expected(), 300)).status).toBe("pending");
  });
});
