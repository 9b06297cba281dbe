import { CodedError, ErrorCode } from "../errors.js";
import { formatUsd } from "../money.js";
import { assertWithinCaps } from "./caps.js";
import type { BudgetLimits, ReserveRequest, Usage } from "./types.js";

/**
 * How values cross between the Redis store and its Lua scripts (redisScripts.ts): key names,
 * amounts and names as arguments, integer replies, stream entries. Kept apart from the
 * store so the scripts' contract is in one place and tests can speak it too.
 */

/**
 * Every amount handed to Lua is at most this (2^53 - 1 USD micros, about 9 billion USD), so
 * Lua's doubles hold every total exactly; see redisScripts.ts. A larger limit is clamped to
 * it, which only matters once a wallet has spent 9 billion USD.
 */
export const MAX_EXACT_MICROS = BigInt(Number.MAX_SAFE_INTEGER);

/** Key names for one wallet, in the order the scripts expect them (see redisScripts.ts). */
export function walletKeys(prefix: string, wallet: string): string[] {
  const base = `${prefix}{${wallet}}:`;
  return ["window", "leases", "spends", "day", "hosts", "sessions", "sessionSeen", "ledger", "agents", "imported"].map((name) => base + name);
}

/** An optional name as the scripts take it: "" when absent, "=name" when present (so "" stays a name). */
export function optionalName(name: string | undefined): string {
  return name === undefined ? "" : `=${name}`;
}

/** As hostMatches() normalizes a host: lower case, no IPv6 brackets, no trailing dot. */
export function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
}

/** As hostMatches() normalizes a pattern: lower case, no IPv6 brackets. */
export function normalizePattern(pattern: string): string {
  return pattern.toLowerCase().replace(/^\[|\]$/g, "");
}

export function amount(usdMicros: bigint): string {
  if (usdMicros < 0n) throw new RangeError(`a negative amount (${usdMicros}) cannot be reserved`);
  return usdMicros.toString();
}

/** A limit as Lua compares it: clamped to 2^53 - 1 (exact as a double); a price above it is refused by the script. */
export function limit(value: bigint): string {
  return (value > MAX_EXACT_MICROS ? MAX_EXACT_MICROS : value).toString();
}

export function asArray(reply: unknown, what: string): unknown[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected reply to ${what}: ${JSON.stringify(reply)}`);
  return reply;
}

/** An integer reply (below 2^53, so exact as a JS number) as USD micros. */
export function toMicros(value: unknown): bigint {
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  throw new Error(`unexpected amount in a reply: ${JSON.stringify(value)}`);
}

export function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** The stream ID just before `id` ("ms-seq"), for the next XREVRANGE page; undefined before the first. */
export function previousStreamId(id: string): string | undefined {
  const [ms, seq] = id.split("-").map((part) => BigInt(part));
  if (ms === undefined || seq === undefined) throw new Error(`unexpected stream ID ${id}`);
  if (seq > 0n) return `${ms}-${seq - 1n}`;
  if (ms > 0n) return `${ms - 1n}-18446744073709551615`;
  return undefined;
}

/** The script refused, yet the caps allow it: only an amount beyond what Lua counts exactly. */
export function beyondExactRange(request: ReserveRequest): CodedError {
  return new CodedError(
    ErrorCode.PRICE_ABOVE_CALL_LIMIT,
    `${request.meta.url} costs ${formatUsd(request.usdMicros)} USD; the Redis budget store counts at most ${formatUsd(
      MAX_EXACT_MICROS,
    )} USD per cap exactly, and this payment would go past it. Nothing was paid.`,
    { price: formatUsd(request.usdMicros), limit: formatUsd(MAX_EXACT_MICROS) },
  );
}

/** A payment's caps as the scripts read them (read_caps in redisScripts.ts). */
export function capsArgs(limits: BudgetLimits): string[] {
  return [
    limit(limits.perCall),
    limit(limits.perSession),
    limit(limits.perDay),
    optionalName(limits.agent?.name),
    limits.agent?.perDay === undefined ? "" : limit(limits.agent.perDay),
    String(limits.hosts.length),
    ...limits.hosts.flatMap((h) => [normalizePattern(h.pattern), h.perCall === undefined ? "" : limit(h.perCall), h.perDay === undefined ? "" : limit(h.perDay)]),
  ];
}

/**
 * The error for a script's refusal: the very one the file store throws, from the numbers the
 * script saw (what is spent without this payment), or the exact-range one when only Lua's
 * arithmetic refused.
 */
export function refusal(what: string, reply: unknown, verdict: unknown, numbers: unknown[], request: ReserveRequest, atSigning: boolean): Error {
  const { limits } = request;
  if (verdict !== "refused" || numbers.length !== 3 + limits.hosts.length) return new Error(`unexpected reply to ${what}: ${JSON.stringify(reply)}`);
  const spent = numbers.map(toMicros);
  const usage: Usage = {
    session: spent[0] as bigint,
    day: spent[1] as bigint,
    agentDay: spent[2] as bigint,
    hostsDay: limits.hosts.map((h, i) => ({ pattern: h.pattern, spent: spent[3 + i] as bigint })),
  };
  try {
    assertWithinCaps({ usdMicros: request.usdMicros, limits, usage, url: request.meta.url, perCallFromCaller: request.perCallFromCaller, atSigning });
  } catch (error) {
    return error as Error;
  }
  return beyondExactRange(request);
}
