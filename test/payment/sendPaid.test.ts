import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { KNOWN_ASSETS } from "../../src/chains/evm/assets.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { authorizePayment } from "../../src/payment/authorizePayment.js";
import { sendPaid } from "../../src/payment/sendPaid.js";
import { createRuntime } from "../../src/runtime.js";
import { exactEvmScheme } from "../../src/chains/evm/schemes/exact-eip3009/index.js";
import { parsePaymentRequired } from "../../src/x402/parsePaymentRequired.js";
import { v2Requirement, v2Response } from "../x402/helpers.js";

describe("sendPaid", () => {
  it("sends nothing once the call is cancelled, and records why the signed amount stays counted", async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const asset = KNOWN_ASSETS.find((a) => a.network === "eip155:84532")!;
    const required = parsePaymentRequired(v2Response([v2Requirement()]));
    const config = ConfigSchema.parse({ networks: ["eip155:84532"], ledger: join(mkdtempSync(join(tmpdir(), "send-")), "ledger.jsonl") });
    const rt = await createRuntime({ config, account, logger: { log() {} } });
    let sent = 0;
    rt.http = {
      send: async () => {
        sent++;
        throw new Error("nothing may be sent");
      },
      close: async () => undefined,
    };
    rt.balances.record(asset, account.address, 10n ** 12n);
    // The token's decimals() as on record, without an RPC (there is no chain here).
    rt.chain.readDecimals = async () => asset.decimals;
    try {
      const chosen = { option: required.options[0]!, asset, scheme: exactEvmScheme, usdMicros: 10_000n };
      const url = "http://api.test/paid";
      const { signed, reservation } = await authorizePayment(rt, account, chosen, required, url, { maxPayment: undefined, approve: undefined, signal: undefined });
      const controller = new AbortController();
      controller.abort();
      const request = { url, method: "GET" as const, headers: {}, body: undefined };
      const error = await sendPaid(rt, request, chosen, signed, reservation, controller.signal).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "HTTP_ERROR" });
      expect((error as Error).message).toMatch(/cancelled after the payment of 0\.01 USDC was signed but before it was sent: nothing was paid/);
      expect(sent).toBe(0);
      const [entry] = await rt.budget.history({ limit: 1, sinceMs: 0, host: undefined });
      expect(entry).toMatchObject({ status: "unconfirmed", receipt: { note: expect.stringContaining("never left this process") } });
      expect((await rt.budget.usage({ sessionId: rt.sessionId, hostPatterns: [] })).session).toBe(10_000n);
    } finally {
      await rt.close();
    }
  });
});
