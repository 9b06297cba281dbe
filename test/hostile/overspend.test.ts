import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, type Rig } from "../rig/index.js";
import { startMcp, textOf } from "../e2e/mcpClient.js";

const ROUNDS = 20;
const PARALLEL = 50;

/** Overspend under load: many parallel calls against a budget for five, round after round. */
describe("overspend under load", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it(`${PARALLEL} parallel paid_fetch calls against a budget for 5, ${ROUNDS} times: 0 overspends on-chain`, async () => {
    const wallet = await rig.newWallet(100_000_000n);
    const overspends: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = await rig.balanceOf(wallet.address);
      const mcp = await startMcp({
        config: {
          networks: ["eip155:84532"],
          rpc: { "eip155:84532": rig.rpcUrl },
          hosts: { allowPrivate: true },
          budget: { perCall: "0.10", perSession: "0.05", perDay: "1000" },
          verifySettlement: false,
          // Every call must try to pay: no re-reading a response another call in the session paid for.
          content: { payOnceSeconds: 0 },
        },
        env: { X402_PRIVATE_KEY: wallet.privateKey },
      });
      try {
        const results = await Promise.all(
          Array.from({ length: PARALLEL }, (_, i) => mcp.call("paid_fetch", { url: `${i % 2 ? rig.v1.url : rig.v2.url}/paid` })),
        );
        const paid = results.filter((r) => (r.structuredContent as any)?.payment?.status === "settled").length;
        const refused = results.filter((r) => textOf(r).startsWith("[SESSION_BUDGET_EXCEEDED]")).length;
        expect(paid + refused).toBe(PARALLEL);
        const spent = before - (await rig.balanceOf(wallet.address));
        if (spent > 50_000n) overspends.push(round);
        expect(spent).toBe(BigInt(paid) * 10_000n);
        expect(paid).toBe(5);
      } finally {
        await mcp.close();
      }
    }
    expect(overspends).toEqual([]);
  }, 300_000);
});
