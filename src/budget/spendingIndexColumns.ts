import type { Bucket } from "./spendingBuckets.js";
import type { LineTable } from "./spendingLines.js";

/** `usd` of a row whose amount is not a safe integer: the amount is in `bigUsd`. */
export const BIG_USD = -1;

/** The columns of the index, for the totals file. */
export interface IndexColumns {
  covered: number;
  rows: number;
  at: Float64Array<ArrayBuffer>;
  usd: Float64Array<ArrayBuffer>;
  host: Uint32Array<ArrayBuffer>;
  agent: Uint32Array<ArrayBuffer>;
  state: Uint8Array<ArrayBuffer>;
  lastLine: Int32Array<ArrayBuffer>;
  lines: LineTable;
  hosts: string[];
  /** Index 0 is "no agent". */
  agents: string[];
  bigUsd: [number, string][];
  buckets: number;
  bucketHour: Float64Array<ArrayBuffer>;
  /** BIG_USD where the sum is past 2^53: it is in `bigBuckets`. */
  bucketMicros: Float64Array<ArrayBuffer>;
  bucketHost: Uint32Array<ArrayBuffer>;
  bucketAgent: Uint32Array<ArrayBuffer>;
  bucketPayments: Uint32Array<ArrayBuffer>;
  bucketLatest: Int32Array<ArrayBuffer>;
  bigBuckets: [number, string][];
  ids: () => string[];
  /** Whether the rows' times never go down: the hour `since` cuts is then found by binary search. */
  inTimeOrder: boolean;
  /** Gives back what the lazy parts read from (the totals file's descriptor). */
  release?: () => void;
}

export function bucketColumns(buckets: Bucket[]): Pick<IndexColumns, "buckets" | "bucketHour" | "bucketMicros" | "bucketHost" | "bucketAgent" | "bucketPayments" | "bucketLatest" | "bigBuckets"> {
  const n = buckets.length;
  const columns = {
    buckets: n,
    bucketHour: new Float64Array(n),
    bucketMicros: new Float64Array(n),
    bucketHost: new Uint32Array(n),
    bucketAgent: new Uint32Array(n),
    bucketPayments: new Uint32Array(n),
    bucketLatest: new Int32Array(n),
    bigBuckets: [] as [number, string][],
  };
  buckets.forEach((b, i) => {
    columns.bucketHour[i] = b.period;
    columns.bucketHost[i] = b.host;
    columns.bucketAgent[i] = b.agent;
    columns.bucketPayments[i] = b.payments;
    columns.bucketLatest[i] = b.latest;
    if (b.micros <= BigInt(Number.MAX_SAFE_INTEGER)) columns.bucketMicros[i] = Number(b.micros);
    else {
      columns.bucketMicros[i] = BIG_USD;
      columns.bigBuckets.push([i, b.micros.toString()]);
    }
  });
  return columns;
}
