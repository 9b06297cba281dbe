import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, type Rig } from "../rig/index.js";
import { startMcp } from "./mcpClient.js";

/** A paid answer goes back while its outcome is written: nothing of it may be lost for that. */
describe("the outcome of a paid call", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it("is in spending_history at once, and in the ledger file once the server has stopped", async () => {
    const wallet = await rig.newWallet(1_000_000n);
    const ledger = join(mkdtempSync(join(tmpdir(), "outcome-")), "ledger.jsonl");
    const mcp = await startMcp({
      config: { networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl }, hosts: { allowPrivate: true }, ledger },
      env: { X402_PRIVATE_KEY: wallet.privateKey },
    });
    let transaction: string;
    try {
      const paid = await mcp.call("paid_fetch", { url: `${rig.v2.url}/paid` });
      const receipt = (paid.structuredContent as { payment: { transaction: string; status: string } }).payment;
      expect(receipt.status).toBe("verified");
      transaction = receipt.transaction;
      const history = await mcp.call("spending_history", {});
      const entries = (history.structuredContent as { receipts: { status: string; transaction: string | null }[] }).receipts;
      expect(entries).toEqual([expect.objectContaining({ status: "verified", transaction })]);
    } finally {
      await mcp.close();
    }
    const outcomes = readFileSync(ledger, "utf8")
      .split("\n")
      .filter((line) => line.includes('"type":"outcome"'))
      .map((line) => JSON.parse(line) as { status: string; receipt: { transaction: string } });
    expect(outcomes).toEqual([expect.objectContaining({ status: "verified", receipt: expect.objectContaining({ transaction }) })]);
  });
});
