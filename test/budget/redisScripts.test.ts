import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOST_MATCHES_PROBE } from "../../src/budget/redisScripts.js";
import { normalizeHost, normalizePattern } from "../../src/budget/redisWire.js";
import { hostMatches } from "../../src/policy/hosts.js";
import { startRedis, type RedisHandle } from "../rig/redis.js";

let redis: RedisHandle;
let client: Redis;
beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

/** What the Lua host rule says, on the inputs the store hands it. */
async function luaMatches(pairs: [string, string][]): Promise<boolean[]> {
  const args = pairs.flatMap(([pattern, host]) => [normalizePattern(pattern), normalizeHost(host)]);
  const reply = (await client.eval(HOST_MATCHES_PROBE, 0, "", "1000", ...args)) as number[];
  return reply.map((n) => n === 1);
}

describe("the Lua host rule of the Redis store", () => {
  it("agrees with hostMatches() on the cases that matter", async () => {
    const pairs: [string, string][] = [
      ["api.example.com", "api.example.com"],
      ["api.example.com", "API.Example.COM."],
      ["*.example.com", "a.example.com"],
      ["*.example.com", "a.b.example.com"],
      ["*.example.com", "example.com"],
      ["*.example.com", "badexample.com"],
      ["*.Example.com", "x.EXAMPLE.com"],
      ["[::1]", "[::1]"],
      ["::1", "[::1]"],
      ["*.example.com", ".example.com"],
    ];
    expect(await luaMatches(pairs)).toEqual(pairs.map(([p, h]) => hostMatches(p, h)));
  });

  it("agrees with hostMatches() on random hosts and patterns", async () => {
    const label = fc.stringMatching(/^[a-zA-Z0-9-]{0,4}$/);
    const host = fc.tuple(fc.array(label, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([labels, dot]) => labels.join(".") + (dot ? "." : ""));
    const pattern = fc.tuple(fc.boolean(), fc.array(label, { minLength: 1, maxLength: 3 })).map(([wild, labels]) => (wild ? "*." : "") + labels.join("."));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(pattern, host), { minLength: 1, maxLength: 50 }), async (pairs) => {
        expect(await luaMatches(pairs)).toEqual(pairs.map(([p, h]) => hostMatches(p, h)));
      }),
      { numRuns: 200 },
    );
  });
});
