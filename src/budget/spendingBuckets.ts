export const HOUR_MS = 3600_000;
export const DAY_HOURS = 24;

/** Per UTC hour (or day), host and agent: what foldHistory's entries reserved in it add up to. */
export interface Bucket {
  /** The hour (or day) since the epoch. */
  period: number;
  /** Its length in hours: 1 or 24. */
  hours: number;
  host: number;
  agent: number;
  micros: bigint;
  payments: number;
  /** The newest counted row (file order of its reserve line), -1 when none counts. */
  latest: number;
}

/** Hosts and agents are indexes below 2^21 each (a ledger with more is beyond any wallet). */
function bucketKey(host: number, agent: number): number {
  return host * 2 ** 21 + agent;
}

export function bucketIn(periods: Map<number, Map<number, Bucket>>, period: number, hours: number, host: number, agent: number): Bucket {
  let inPeriod = periods.get(period);
  if (!inPeriod) periods.set(period, (inPeriod = new Map()));
  const key = bucketKey(host, agent);
  let bucket = inPeriod.get(key);
  if (!bucket) inPeriod.set(key, (bucket = { period, hours, host, agent, micros: 0n, payments: 0, latest: -1 }));
  return bucket;
}

const dayTexts = new Map<number, string>();
/** A UTC day since the epoch, as spendingReport writes it. */
export function dayText(day: number): string {
  let text = dayTexts.get(day);
  if (text === undefined) dayTexts.set(day, (text = new Date(day * DAY_HOURS * HOUR_MS).toISOString().slice(0, 10)));
  return text;
}
