import { randomUUID } from "node:crypto";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisBudgetStore } from "../../src/budget/redisStore.js";
import { KNOWN_ASSETS } from "../../src/chains/evm/assets.js";
import { ConfigSchema } from "../../src/config/schema.js";
import { authorizePayment } from "../../src/payment/authorizePayment.js";
import { createRuntime } from "../../src/runtime.js";
import { exactEvmScheme } from "../../src/chains/evm/schemes/exact-eip3009/index.js";
import { parsePaymentRequired } from "../../src/x402/parsePaymentRequired.js";
import { startRedis, type RedisHandle } from "../rig/redis.js";
import { request } from "../budget/storeContract.js";
import { v2Requirement, v2Response } from "../x402/helpers.js";

const LEASE_MS = 1_000;
const account = privateKeyToAccount(generatePrivateKey());
const asset = KNOWN_ASSETS.find((a) => a.network === "eip155:84532")!;
const required = parsePaymentRequired(v2Response([v2Requirement()]));

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

function openStore(wallet: string): Promise<RedisBudgetStore> {
  return RedisBudgetStore.open({ url: redis.url, prefix: "hold:", wallet, leaseMs: LEASE_MS, timeoutMs: 2_000, logger: { log: () => undefined } });
}

/**
 * A reservation waiting for the person's approval is not a dead server's: the shared store
 * keeps it past `store.leaseMs` for as long as approval may take, so an approval that comes
 * after the lease still pays, instead of being refused at signing as "given back".
 */
describe("a payment waiting for approval on the Redis store", () => {
  it("keeps its reservation past the lease while the person decides, then signs", async () => {
    const wallet = `0x${randomUUID().replace(/-/g, "")}`;
    const config = ConfigSchema.parse({ networks: ["eip155:84532"], budget: { perCall: "1", perDay: "10" }, approval: { above: "0.001" } });
    const rt = await createRuntime({ config, account, budget: await openStore(wallet), logger: { log() {} } });
    const other = await openStore(wallet);
    rt.balances.record(asset, account.address, 10n ** 12n);
    // The token's decimals() as on record, without an RPC (there is no chain here).
    rt.chain.readDecimals = async () => asset.decimals;
    try {
      const approve = async () => {
        await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 300));
        // Another server of the fleet runs a script meanwhile: that is when expired leases are reclaimed.
        await other.release(await other.reserve(request(1n, { sessionId: "other" })));
        return { outcome: "approved" as const };
      };
      const authorization = await authorizePayment(rt, account, { option: required.options[0]!, asset, scheme: exactEvmScheme, usdMicros: 10_000n }, required, "http://api.test/paid", {
        maxPayment: undefined,
        approve,
        signal: undefined,
      });
      expect(authorization.signed.payer).toBe(account.address);
      expect((await other.usage({ sessionId: "x", hostPatterns: [] })).day).toBe(10_000n);
    } finally {
      await other.close();
      await rt.close();
    }
  });
});
