import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisBudgetStore } from "../../src/budget/redisStore.js";
import type { BudgetLimits, Reservation, ReserveRequest } from "../../src/budget/types.js";
import { hostMatches } from "../../src/policy/hosts.js";
import { startRedis, type RedisHandle } from "../rig/redis.js";
import { signature } from "./storeContract.js";

/**
 * The scripts trim the window and reclaim expired leases only when a check fails or now and
 * then: every decision and every number usage() gives must still be those of a budget trimmed
 * before each call. Random payments, signatures, releases and clock jumps on one wallet,
 * against a model that recomputes what counts from scratch at each step.
 */

const LEASE_MS = 1_000;
const DAY_MS = 86_400_000;
const HOSTS = ["a.x.test", "b.x.test", "y.test"];
const AGENTS = ["a", "b", undefined];
const SESSIONS = ["s1", "s2", "s3"];
const PATTERN = "*.x.test";

/** As the server passes them: the host limit only when the payment's host matches its pattern. */
function limitsFor(agent: string | undefined, host: string): BudgetLimits {
  return {
    perCall: 30n,
    perSession: 60n,
    perDay: 100n,
    hosts: hostMatches(PATTERN, host) ? [{ pattern: PATTERN, perCall: 25n, perDay: 40n }] : [],
    ...(agent !== undefined ? { agent: { name: agent, perDay: 50n } } : {}),
  };
}

function requestOf(usd: bigint, host: string, agent: string | undefined, session: string): ReserveRequest {
  return {
    sessionId: session,
    usdMicros: usd,
    limits: limitsFor(agent, host),
    meta: { ...(agent !== undefined ? { agent } : {}), url: `http://${host}/x`, host, network: "eip155:84532", asset: "0xA", amountAtomic: usd, payTo: "0xB" },
  };
}

interface Held {
  usd: bigint;
  host: string;
  agent: string | undefined;
  session: string;
  since: number;
  /** undefined once signed */
  leaseUntil: number | undefined;
  released: boolean;
  reservation: Reservation;
}

/** What a budget trimmed at `now` counts: the window's 24 h, leases not run out, releases. */
class Model {
  held: Held[] = [];
  constructor(public now: number) {}
  private live(h: Held): boolean {
    return !h.released && !(h.leaseUntil !== undefined && h.leaseUntil < this.now);
  }
  private inWindow(h: Held): boolean {
    return this.live(h) && h.since > this.now - DAY_MS;
  }
  session(s: string, except?: Held): bigint {
    return this.sum((h) => h !== except && h.session === s && this.live(h));
  }
  day(except?: Held): bigint {
    return this.sum((h) => h !== except && this.inWindow(h));
  }
  agent(a: string | undefined, except?: Held): bigint {
    return a === undefined ? 0n : this.sum((h) => h !== except && h.agent === a && this.inWindow(h));
  }
  host(except?: Held): bigint {
    return this.sum((h) => h !== except && hostMatches(PATTERN, h.host) && this.inWindow(h));
  }
  fits(usd: bigint, host: string, agent: string | undefined, session: string, except?: Held): boolean {
    const limits = limitsFor(agent, host);
    const onPattern = limits.hosts.length > 0;
    return (
      usd <= limits.perCall &&
      usd <= limits.perSession - this.session(session, except) &&
      usd <= limits.perDay - this.day(except) &&
      (agent === undefined || usd <= 50n - this.agent(agent, except)) &&
      (!onPattern || (usd <= 25n && usd <= 40n - this.host(except)))
    );
  }
  private sum(keep: (h: Held) => boolean): bigint {
    return this.held.filter(keep).reduce((t, h) => t + h.usd, 0n);
  }
}

const step = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("reserve" as const), usd: fc.integer({ min: 1, max: 30 }), host: fc.nat(2), agent: fc.nat(2), session: fc.nat(2) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("sign" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("release" as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("tick" as const), ms: fc.constantFrom(0, 100, 400, LEASE_MS + 500, 12 * 3_600_000, DAY_MS + 60_000) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("usage" as const), agent: fc.nat(2), session: fc.nat(2) }) },
);

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe("the Redis store's lazy trimming", () => {
  it("decides every reservation and signature, and reports every total, as a budget trimmed before each call would", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 60 }), async (steps) => {
        const model = new Model(Date.parse("2026-03-01T00:00:00Z"));
        const store = await RedisBudgetStore.open({
          url: redis.url,
          prefix: "trim:",
          wallet: `0x${randomUUID().replace(/-/g, "")}`,
          leaseMs: LEASE_MS,
          timeoutMs: 5_000,
          logger: { log: () => undefined },
          clockForTests: () => model.now,
        });
        try {
          for (const s of steps) {
            if (s.op === "tick") {
              model.now += s.ms;
            } else if (s.op === "reserve") {
              const [host, agent, session] = [HOSTS[s.host]!, AGENTS[s.agent], SESSIONS[s.session]!];
              const usd = BigInt(s.usd);
              const expected = model.fits(usd, host, agent, session);
              const got = await store.reserve(requestOf(usd, host, agent, session)).catch((e: { code?: string }) => e.code ?? "refused");
              if (typeof got === "string") {
                expect({ step: s, reserved: false }).toEqual({ step: s, reserved: expected });
              } else {
                expect({ step: s, reserved: true }).toEqual({ step: s, reserved: expected });
                model.held.push({ usd, host, agent, session, since: model.now, leaseUntil: model.now + LEASE_MS, released: false, reservation: got });
              }
            } else if (s.op === "sign" || s.op === "release") {
              // Only reservations still within their lease: past it, whether one was reclaimed yet is the store's choice.
              const open = model.held.filter((h) => !h.released && h.leaseUntil !== undefined && h.leaseUntil >= model.now);
              const h = open[s.pick % Math.max(1, open.length)];
              if (!h) continue;
              if (s.op === "release") {
                await store.release(h.reservation);
                h.released = true;
              } else {
                const expected = model.fits(h.usd, h.host, h.agent, h.session, h);
                const got = await store.recordSigned(h.reservation, signature).then(
                  () => true,
                  () => false,
                );
                expect({ step: s, signed: got }).toEqual({ step: s, signed: expected });
                if (got) {
                  h.since = model.now;
                  h.leaseUntil = undefined;
                } else {
                  h.released = true;
                }
              }
            } else {
              const agent = AGENTS[s.agent];
              const session = SESSIONS[s.session]!;
              const usage = await store.usage({ sessionId: session, agent, hostPatterns: [PATTERN] });
              expect(usage).toEqual({ session: model.session(session), day: model.day(), agentDay: model.agent(agent), hostsDay: [{ pattern: PATTERN, spent: model.host() }] });
            }
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
