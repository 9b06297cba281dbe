import type { Logger } from "../log.js";
import { parseLedgerLine, type LedgerEvent } from "./ledgerEvents.js";
import { foldHistory } from "./ledgerHistory.js";
import type { RedisClient } from "./redisConnection.js";
import { LEDGER_FIELD } from "./redisScriptPrelude.js";
import { fieldValue, previousStreamId } from "./redisWire.js";
import { spendingOf } from "./spendingOf.js";
import type { HistoryEntry, HistoryQuery, Spending } from "./types.js";

const HISTORY_PAGE = 500;

/**
 * Reads the ledger stream newest first, page by page, back to the first event older than
 * `sinceMs` (as the file store reads its tail), and stops early once `limit` payments are
 * known for certain: a payment's later events are always newer than its reserve.
 */
export async function readHistory(redis: RedisClient, ledgerKey: string, query: HistoryQuery, logger: Logger): Promise<HistoryEntry[]> {
  const newestFirst: LedgerEvent[] = [];
  let unreadable = 0;
  let end = "+";
  for (;;) {
    const page = await redis.xrevrange(ledgerKey, end, "-", "COUNT", HISTORY_PAGE);
    let reachedOld = false;
    for (const [, fields] of page) {
      const event = parseLedgerLine(fieldValue(fields, LEDGER_FIELD) ?? "");
      if (!event) {
        unreadable++;
        continue;
      }
      if (event.at < query.sinceMs) {
        reachedOld = true;
        break;
      }
      newestFirst.push(event);
    }
    const last = page.at(-1)?.[0];
    const before = last === undefined ? undefined : previousStreamId(last);
    if (reachedOld || page.length < HISTORY_PAGE || before === undefined) break;
    const known = foldHistory([...newestFirst].reverse(), query);
    if (known.length >= query.limit) return known;
    end = before;
  }
  if (unreadable > 0) {
    logger.log("warning", `the Redis ledger stream ${ledgerKey} has ${unreadable} unreadable entr${unreadable === 1 ? "y" : "ies"}; they were skipped`);
  }
  return foldHistory(newestFirst.reverse(), query);
}

/** Folds the stream over the whole period, as `readHistory` does: no totals are kept in Redis for it yet. */
export async function readSpending(redis: RedisClient, ledgerKey: string, query: HistoryQuery, logger: Logger): Promise<Spending> {
  return spendingOf(await readHistory(redis, ledgerKey, { ...query, limit: Number.MAX_SAFE_INTEGER }, logger), query.limit);
}
