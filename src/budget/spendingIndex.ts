import { hostMatches } from "../policy/hosts.js";
import type { LedgerEvent } from "./ledgerEvents.js";
import { DAY_HOURS, HOUR_MS, bucketIn, dayText, type Bucket } from "./spendingBuckets.js";
import { BIG_USD, bucketColumns, type IndexColumns } from "./spendingIndexColumns.js";
import { LineTable } from "./spendingLines.js";
import type { HistoryQuery, SpendingTotal } from "./types.js";

/** A payment's state as foldHistory sees it, as far as the totals care. */
const RESERVED = 0;
/** Signed, or with an outcome: a release no longer takes it out. */
const SIGNED = 1;
/** Counts 0 from now on, whatever comes after. */
const EXPIRED = 2;
const CLASS_BITS = 3;
/** Released while reserved: left out of everything, for good. */
const RELEASED = 4;
/** The lines foldHistory folds into the payment their id names, after its reserve line. */
const PAYMENT_LINES: ReadonlySet<string> = new Set(["sign", "outcome", "release", "actual", "expired"]);
/** Rows looked at from the newest before the id map is built: where a late line's payment almost always is. */
const RECENT_ROWS = 4096;

export interface IndexAnswer {
  /** The newest matching rows, newest first: their lines make the entries. */
  rows: number[];
  totals: SpendingTotal[];
}

/**
 * What the spending history needs from the whole ledger, kept up to date line by line: per
 * payment (a row, in the file order of its reserve line, which is foldHistory's order) its
 * hour, host, agent, counted amount and state, and where its lines are; per hour, host and
 * agent the sums. A query adds up at most one bucket per hour, host and agent, reads rows
 * one by one only for the hour that `since` cuts, and builds its newest entries from their
 * own lines. Every rule of foldHistory that changes a total is mirrored in `apply`: a test
 * folds random ledgers both ways.
 */
export class SpendingIndex {
  /** Ledger bytes applied: always the end of a line. */
  covered = 0;
  private rowCount = 0;
  private at: Float64Array<ArrayBuffer> = new Float64Array(1024);
  private usd: Float64Array<ArrayBuffer> = new Float64Array(1024);
  private host: Uint32Array<ArrayBuffer> = new Uint32Array(1024);
  private agent: Uint32Array<ArrayBuffer> = new Uint32Array(1024);
  private state: Uint8Array<ArrayBuffer> = new Uint8Array(1024);
  private lastLine: Int32Array<ArrayBuffer> = new Int32Array(1024);
  private lines = new LineTable();
  private readonly bigUsd = new Map<number, bigint>();
  private hosts: string[] = [];
  private hostIndex = new Map<string, number>();
  private agents: string[] = [""];
  private agentIndex = new Map<string, number>();
  /** Decoded from the totals file on the first late line that needs them. */
  private idList: string[] | undefined;
  private loadIds: (() => string[]) | undefined;
  private idMap: Map<string, number> | undefined;
  private readonly buckets = new Map<number, Map<number, Bucket>>();
  /** The same sums per UTC day: a query adds up whole days, and hours only in the day that `since` cuts. */
  private readonly days = new Map<number, Map<number, Bucket>>();
  /** The rows reserved in the hour a recent query cut (a 30-day query cuts the same hour for an hour). */
  private cutHour: { hour: number; rows: number[] } | undefined;
  /** The hour sums as a totals file holds them, until the index first changes: a fresh process's query adds them up in one pass. */
  private saved: IndexColumns | undefined;
  /** The rows' times never go down (a ledger written by one clock): see rowsInHour. */
  private inTimeOrder = true;
  /** Once the index is dropped: its lines and ids can no longer be read. */
  release: () => void = () => undefined;

  static fromColumns(c: IndexColumns): SpendingIndex {
    const index = new SpendingIndex();
    index.covered = c.covered;
    index.rowCount = c.rows;
    index.at = c.at;
    index.usd = c.usd;
    index.host = c.host;
    index.agent = c.agent;
    index.state = c.state;
    index.lastLine = c.lastLine;
    index.lines = c.lines;
    index.hosts = c.hosts;
    index.hostIndex = new Map(c.hosts.map((h, i) => [h, i]));
    index.agents = c.agents;
    // Index 0 stands for "no agent", not for an agent named "".
    index.agentIndex = new Map(c.agents.map((a, i): [string, number] => [a, i]).slice(1));
    for (const [row, micros] of c.bigUsd) index.bigUsd.set(row, BigInt(micros));
    index.loadIds = c.ids;
    index.inTimeOrder = c.inTimeOrder;
    index.release = c.release ?? (() => undefined);
    index.saved = c;
    return index;
  }

  /**
   * The saved hour sums as maps, with their day sums: before the first change, and after a
   * first query (which reads the columns, so it need not wait for this).
   */
  materialize(): void {
    const c = this.saved;
    if (!c) return;
    this.saved = undefined;
    const bigBuckets = new Map(c.bigBuckets);
    for (let i = 0; i < c.buckets; i++) {
      const hour = c.bucketHour[i]!;
      const host = c.bucketHost[i]!;
      const agent = c.bucketAgent[i]!;
      const micros = c.bucketMicros[i] === BIG_USD ? BigInt(bigBuckets.get(i)!) : BigInt(c.bucketMicros[i]!);
      const payments = c.bucketPayments[i]!;
      const latest = c.bucketLatest[i]!;
      Object.assign(bucketIn(this.buckets, hour, 1, host, agent), { micros, payments, latest });
      const day = bucketIn(this.days, Math.floor(hour / DAY_HOURS), DAY_HOURS, host, agent);
      day.micros += micros;
      day.payments += payments;
      day.latest = Math.max(day.latest, latest);
    }
  }

  columns(): IndexColumns {
    this.materialize();
    const n = this.rowCount;
    const ids = this.ids();
    return {
      covered: this.covered,
      rows: n,
      lines: this.lines,
      at: this.at.subarray(0, n),
      usd: this.usd.subarray(0, n),
      host: this.host.subarray(0, n),
      agent: this.agent.subarray(0, n),
      state: this.state.subarray(0, n),
      lastLine: this.lastLine.subarray(0, n),
      hosts: this.hosts,
      agents: this.agents,
      bigUsd: [...this.bigUsd].map(([row, micros]) => [row, micros.toString()]),
      inTimeOrder: this.inTimeOrder,
      ...bucketColumns([...this.buckets.values()].flatMap((inHour) => [...inHour.values()].filter((b) => b.payments > 0))),
      ids: () => ids,
    };
  }

  get rows(): number {
    return this.rowCount;
  }

  /** The ledger line at [offset, offset + length), parsed; a torn line is never applied, as foldHistory never sees it. */
  apply(event: LedgerEvent, offset: number, length: number): void {
    this.materialize();
    let row = this.find(event.id);
    if (event.type === "reserve") {
      if (row === undefined) {
        row = this.addRow(event.id);
        if (row > 0 && event.at < this.at[row - 1]!) this.inTimeOrder = false;
      } else {
        this.uncount(row);
        // Its time changes in place.
        this.inTimeOrder = false;
      }
      this.link(row, offset, length);
      this.at[row] = event.at;
      this.host[row] = intern(this.hosts, this.hostIndex, event.host);
      this.agent[row] = event.agent === undefined ? 0 : intern(this.agents, this.agentIndex, event.agent);
      this.setUsd(row, BigInt(event.usdMicros));
      // A second reserve line for an id starts its entry over, released or not (foldHistory's byId.set).
      this.state[row] = (this.state[row]! & RELEASED) | RESERVED;
      if (!(this.state[row]! & RELEASED)) this.count(row, 1);
      this.cutHour = undefined;
      return;
    }
    // Lines before an id's reserve line (or for one never reserved) change nothing, nor do
    // lines foldHistory does not fold into a payment (an external transfer).
    if (row === undefined || !PAYMENT_LINES.has(event.type)) return;
    this.link(row, offset, length);
    const state = this.state[row]!;
    const kind = state & CLASS_BITS;
    const released = (state & RELEASED) !== 0;
    if (event.type === "release") {
      if (kind === RESERVED && !released) {
        this.uncount(row);
        this.state[row] = state | RELEASED;
      }
    } else if (event.type === "expired") {
      if (kind === RESERVED) return;
      this.changeUsd(row, 0n, released);
      this.state[row] = (state & RELEASED) | EXPIRED;
    } else if (event.type === "actual") {
      const actual = BigInt(event.usdMicros);
      if (kind !== RESERVED && actual < this.usdOf(row)) this.changeUsd(row, actual, released);
    } else if (kind === RESERVED) {
      // A sign line, or an outcome (which foldHistory applies even to a payment never signed).
      this.state[row] = state | SIGNED;
    }
  }

  /** The newest `limit` matching rows and the totals per UTC day and host, as foldHistory and spendingOf give them. */
  query(query: HistoryQuery): IndexAnswer {
    const hostOk = this.hosts.map((h) => !query.host || hostMatches(query.host, h));
    const agent = query.agent === undefined ? undefined : this.agentIndex.get(query.agent) ?? -1;
    const matches = (host: number, rowAgent: number) => hostOk[host]! && (agent === undefined || rowAgent === agent);

    const rows: number[] = [];
    for (let row = this.rowCount - 1; row >= 0 && rows.length < query.limit; row--) {
      if (!(this.state[row]! & RELEASED) && this.at[row]! >= query.sinceMs && matches(this.host[row]!, this.agent[row]!)) rows.push(row);
    }

    const groups = new Map<number, { day: number; host: number; usdMicros: bigint; payments: number; latest: number }>();
    const add = (day: number, host: number, micros: bigint, payments: number, latest: number) => {
      const key = day * 2 ** 21 + host;
      const group = groups.get(key);
      if (!group) groups.set(key, { day, host, usdMicros: micros, payments, latest });
      else {
        group.usdMicros += micros;
        group.payments += payments;
        if (latest > group.latest) group.latest = latest;
      }
    };
    const addAll = (inPeriod: Map<number, Bucket> | undefined, day: number) => {
      for (const bucket of inPeriod?.values() ?? []) {
        if (bucket.payments > 0 && matches(bucket.host, bucket.agent)) add(day, bucket.host, bucket.micros, bucket.payments, bucket.latest);
      }
    };
    // Whole days from the day sums; the hours before the first whole day from the hour sums; the
    // hour that `since` cuts row by row.
    const sinceHour = Math.floor(query.sinceMs / HOUR_MS);
    const cut = sinceHour * HOUR_MS < query.sinceMs;
    const firstHour = cut ? sinceHour + 1 : sinceHour;
    const firstDay = Math.ceil(firstHour / DAY_HOURS);
    const saved = this.saved;
    if (saved) {
      const bigBuckets = saved.bigBuckets.length > 0 ? new Map(saved.bigBuckets) : undefined;
      for (let i = 0; i < saved.buckets; i++) {
        const hour = saved.bucketHour[i]!;
        if (hour < firstHour || saved.bucketPayments[i] === 0 || !matches(saved.bucketHost[i]!, saved.bucketAgent[i]!)) continue;
        const micros = saved.bucketMicros[i] === BIG_USD ? BigInt(bigBuckets!.get(i)!) : BigInt(saved.bucketMicros[i]!);
        add(Math.floor(hour / DAY_HOURS), saved.bucketHost[i]!, micros, saved.bucketPayments[i]!, saved.bucketLatest[i]!);
      }
    } else {
      for (const [day, inDay] of this.days) if (day >= firstDay) addAll(inDay, day);
      for (let hour = firstHour; hour < firstDay * DAY_HOURS; hour++) addAll(this.buckets.get(hour), Math.floor(hour / DAY_HOURS));
    }
    if (cut) {
      for (const row of this.rowsInHour(sinceHour)) {
        if (this.at[row]! >= query.sinceMs && !(this.state[row]! & RELEASED) && matches(this.host[row]!, this.agent[row]!)) {
          add(Math.floor(sinceHour / DAY_HOURS), this.host[row]!, this.usdOf(row), 1, row);
        }
      }
    }
    // foldHistory's entries come newest first: a day and host is where its newest payment puts it.
    const totals = [...groups.values()]
      .sort((a, b) => b.latest - a.latest)
      .map(({ day, host, usdMicros, payments }) => ({ day: dayText(day), host: this.hosts[host]!, usdMicros, payments }));
    return { rows, totals };
  }

  /**
   * Where a row's lines are, in file order: its entry is foldHistory of them. Undefined when
   * the links do not go back in the file or point past what the index covers (a corrupt
   * totals file: they are checked here, on the few rows read, not all at load).
   */
  linesOf(row: number): { offset: number; length: number }[] | undefined {
    const lines: { offset: number; length: number }[] = [];
    for (let line = this.lastLine[row]!, after = this.lines.count; line !== -1; ) {
      if (!(line >= 0 && line < after)) return undefined;
      const { offset, length, prev } = this.lines.get(line);
      if (!(offset >= 0 && offset + length < this.covered)) return undefined;
      lines.push({ offset, length });
      after = line;
      line = prev;
    }
    return lines.reverse();
  }

  private ids(): string[] {
    if (!this.idList) {
      this.idList = this.loadIds ? this.loadIds() : [];
      this.loadIds = undefined;
    }
    return this.idList;
  }

  private find(id: string): number | undefined {
    const ids = this.ids();
    if (this.idMap) return this.idMap.get(id);
    const stop = Math.max(0, ids.length - RECENT_ROWS);
    for (let row = ids.length - 1; row >= stop; row--) if (ids[row] === id) return row;
    if (stop === 0) return undefined;
    // An old payment's late line (reconciliation, a late `actual`): from now on, look up by map.
    this.idMap = new Map(ids.map((known, row) => [known, row]));
    return this.idMap.get(id);
  }

  private addRow(id: string): number {
    const row = this.rowCount++;
    if (row === this.at.length) {
      const size = Math.max(1024, row * 2);
      this.at = grow(this.at, size);
      this.usd = grow(this.usd, size);
      this.host = grow(this.host, size);
      this.agent = grow(this.agent, size);
      this.state = grow(this.state, size);
      this.lastLine = grow(this.lastLine, size);
    }
    this.lastLine[row] = -1;
    this.ids().push(id);
    this.idMap?.set(id, row);
    return row;
  }

  private link(row: number, offset: number, length: number): void {
    const line = this.lines.add(offset, length, this.lastLine[row]!);
    this.lastLine[row] = line;
  }

  /** The rows reserved in `hour`, released ones too: one pass over the time column, kept until a row is reserved again. */
  private rowsInHour(hour: number): number[] {
    if (this.cutHour?.hour !== hour) {
      const rows: number[] = [];
      let row = 0;
      if (this.inTimeOrder) {
        // The first row at or after the hour's start.
        for (let high = this.rowCount; row < high; ) {
          const middle = (row + high) >>> 1;
          if (this.at[middle]! < hour * HOUR_MS) row = middle + 1;
          else high = middle;
        }
      }
      for (; row < this.rowCount; row++) {
        const rowHour = Math.floor(this.at[row]! / HOUR_MS);
        if (rowHour === hour) rows.push(row);
        else if (this.inTimeOrder && rowHour > hour) break;
      }
      this.cutHour = { hour, rows };
    }
    return this.cutHour.rows;
  }

  /** The row's hour and day sums. */
  private bucketsOf(row: number): [Bucket, Bucket] {
    const hour = Math.floor(this.at[row]! / HOUR_MS);
    const host = this.host[row]!;
    const agent = this.agent[row]!;
    return [bucketIn(this.buckets, hour, 1, host, agent), bucketIn(this.days, Math.floor(hour / DAY_HOURS), DAY_HOURS, host, agent)];
  }

  private count(row: number, sign: 1 | -1): void {
    for (const bucket of this.bucketsOf(row)) {
      bucket.payments += sign;
      bucket.micros += sign === 1 ? this.usdOf(row) : -this.usdOf(row);
      if (sign === 1 && row > bucket.latest) bucket.latest = row;
      if (sign === -1 && row === bucket.latest) {
        // The bucket's newest other counted row: released ones are mostly recent, so is it.
        bucket.latest = -1;
        for (let other = row - 1; bucket.payments > 0 && other >= 0; other--) {
          if (
            !(this.state[other]! & RELEASED) &&
            this.host[other] === bucket.host &&
            this.agent[other] === bucket.agent &&
            Math.floor(this.at[other]! / (HOUR_MS * bucket.hours)) === bucket.period
          ) {
            bucket.latest = other;
            break;
          }
        }
      }
    }
  }

  /** Takes a counted row out of its sums (a release, or a second reserve line). */
  private uncount(row: number): void {
    if (this.state[row]! & RELEASED) return;
    this.count(row, -1);
  }

  private changeUsd(row: number, micros: bigint, released: boolean): void {
    if (!released) for (const bucket of this.bucketsOf(row)) bucket.micros += micros - this.usdOf(row);
    this.setUsd(row, micros);
  }

  private usdOf(row: number): bigint {
    const usd = this.usd[row]!;
    return usd === BIG_USD ? this.bigUsd.get(row)! : BigInt(usd);
  }

  private setUsd(row: number, micros: bigint): void {
    if (micros <= BigInt(Number.MAX_SAFE_INTEGER)) {
      this.usd[row] = Number(micros);
      this.bigUsd.delete(row);
    } else {
      this.usd[row] = BIG_USD;
      this.bigUsd.set(row, micros);
    }
  }
}

function intern(list: string[], index: Map<string, number>, value: string): number {
  let i = index.get(value);
  if (i === undefined) {
    i = list.push(value) - 1;
    index.set(value, i);
  }
  return i;
}

function grow<T extends Float64Array<ArrayBuffer> | Uint32Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>(array: T, size: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(size);
  bigger.set(array);
  return bigger;
}
