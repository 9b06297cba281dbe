import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOSTILE_KEY } from "../hostile/key.js";
import { send402v2, startHostileServer, type HostileServer } from "../hostile/hostileServer.js";
import { closedPort } from "../cli/run.js";
import { startRedis, type RedisHandle } from "../rig/redis.js";
import { USDC_ADDRESS } from "../rig/token.js";
import { startMcp, textOf, type McpSession } from "./mcpClient.js";

/**
 * The budget store stops answering between the paid request and the answer (Redis stops while
 * the server serves the paid request): the payment is made and recorded, so the agent must
 * still get what it paid for, with the totals said to be unknown, never an error that reads
 * as if nothing was paid.
 */
describe("a paid answer when the budget store stops answering just after the payment", () => {
  let redis: RedisHandle;
  let server: HostileServer;
  let mcp: McpSession;

  beforeAll(async () => {
    redis = await startRedis();
    server = await startHostileServer({
      "/paid": (_req, res, { paid }) => {
        if (!paid) {
          send402v2(res, [{ scheme: "exact", network: "eip155:84532", amount: "10000", asset: USDC_ADDRESS, payTo: "0x2222222222222222222222222222222222222222", maxTimeoutSeconds: 60, extra: { name: "USDC", version: "2" } }]);
          return;
        }
        void redis.stop().then(() => res.writeHead(200, { "content-type": "text/plain" }).end("the paid content"));
      },
    });
    const rpc = `http://127.0.0.1:${await closedPort()}`;
    mcp = await startMcp({
      config: {
        networks: ["eip155:84532"],
        rpc: { "eip155:84532": rpc },
        hosts: { allowPrivate: true },
        verifySettlement: false,
        store: { kind: "redis", url: redis.url, timeoutMs: 500 },
      },
      env: { X402_PRIVATE_KEY: HOSTILE_KEY },
    });
  }, 60_000);
  afterAll(async () => {
    await mcp?.close();
    await server?.close();
    await redis?.stop().catch(() => undefined);
  });

  it("returns the paid content and its receipt, the totals marked unknown", async () => {
    const result = await mcp.call("paid_fetch", { url: `${server.url}/paid` });
    expect(result.isError, textOf(result)).toBeFalsy();
    const out = result.structuredContent as { body: string; payment: { status: string } | null; budget: { day: { spent: string; limit: string } } };
    expect(out.body).toBe("the paid content");
    expect(out.payment?.status).toBe("unconfirmed");
    expect(out.budget.day).toEqual({ spent: "unknown", limit: "5.00", remaining: "unknown" });
    expect(server.paymentsAt("/paid")).toBe(1);
  });
});
