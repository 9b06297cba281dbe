import { createWalletClient, http, parseEther, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PublicClients } from "../../src/chain/publicClients.js";
import { verifySettlementOnChain } from "../../src/chain/verifySettlementOnChain.js";
import { startRig, usdcAbi, type Rig } from "../rig/index.js";

describe("verifySettlementOnChain", () => {
  let rig: Rig;
  let clients: PublicClients;
  let tx: Hex;
  let from: `0x${string}`;
  const to = "0x3333333333333333333333333333333333333333";

  beforeAll(async () => {
    rig = await startRig();
    clients = new PublicClients({ "eip155:84532": rig.rpcUrl }, 5_000);
    const wallet = await rig.newWallet(1_000_000n);
    from = wallet.address;
    await rig.testClient.setBalance({ address: from, value: parseEther("1") });
    const signer = createWalletClient({ account: privateKeyToAccount(wallet.privateKey), chain: rig.chain, transport: http(rig.rpcUrl) });
    tx = await signer.writeContract({ address: rig.usdc, abi: usdcAbi, functionName: "transfer", args: [to, 12_345n] });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  const expected = () => ({ network: "eip155:84532", transaction: tx, asset: rig.usdc, from, to, amount: 12_345n });

  it("verifies a transaction that moves exactly what was signed", async () => {
    expect(await verifySettlementOnChain(clients, expected(), 2_000)).toEqual({ status: "verified" });
  });

  it.each([
    ["another amount", { amount: 12_346n }],
    ["another payee", { to: "0x4444444444444444444444444444444444444444" }],
    ["another payer", { from: "0x5555555555555555555555555555555555555555" }],
    ["another token", { asset: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913" }],
  ])("reports a mismatch for %s, with both values", async (_label, change) => {
    const result = await verifySettlementOnChain(clients, { ...expected(), ...change }, 2_000);
    expect(result.status).toBe("mismatch");
    expect((result as { detail: string }).detail).toMatch(/it shows 12345 of 0x036CbD53842c5426634e7929541eC2318f3dCF7e/);
  });

  it("says unknown, within the bound, for a hash the chain does not know", async () => {
    const started = Date.now();
    const result = await verifySettlementOnChain(clients, { ...expected(), transaction: `0x${"ab".repeat(32)}` }, 500);
    expect(result.status).toBe("unknown");
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("says pending when the RPC cannot answer", async () => {
    const dead = new PublicClients({ "eip155:84532": "http://127.0.0.1:9" }, 300);
    expect((await verifySettlementOnChain(dead, expected(), 300)).status).toBe("pending");
  });
});
