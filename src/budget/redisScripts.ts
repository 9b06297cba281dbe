import { LEDGER_FIELD, PRELUDE } from "./redisScriptPrelude.js";

export { LEDGER_FIELD, SESSION_IDLE_MS } from "./redisScriptPrelude.js";

/**
 * The Lua scripts of the Redis budget store: each operation is ONE script, so the check, the
 * state change and its ledger entry happen atomically in one round trip. Each starts with
 * PRELUDE (redisScriptPrelude.ts: the key layout, the common ARGV, time and exactness).
 */

/**
 * ARGV after the common two: [3] id, [4] usd, [5] session id, [6] normalized host, [7] the
 * payment's agent (optional name), [8] lease (ms), [9] reserve event JSON, then its caps from
 * [10] (see read_caps). Returns {"ok"} or {"refused", session spent, day spent, agent spent,
 * spent per host limit...}.
 */
export const RESERVE = `${PRELUDE}
local id, usd, session, host, agent = ARGV[3], ARGV[4], ARGV[5], ARGV[6], optional_name(ARGV[7])
local lease_ms, event, caps = number(ARGV[8]), ARGV[9], read_caps(10)

-- The same reservation sent twice (a retried command) is taken once.
if redis.call('HEXISTS', SPENDS, id) == 1 then return {'ok'} end

local price = number(usd)
local spent = spent_under(caps, session)
if not fits(price, caps, spent) or trim_due(id) or session_idle(session) then
  trim_all()
  spent = spent_under(caps, session)
  if not fits(price, caps, spent) then return refused(spent) end
end

count(id, {usd = usd, host = host, session = session, agent = agent}, NOW, true)
redis.call('ZADD', LEASES, ms(NOW_MS + lease_ms), id)
redis.call('ZADD', SESSION_SEEN, NOW, session)
append(at_now(event))
return {'ok'}
`;

/**
 * ARGV: [3] id, [4] sign event JSON, then the reservation's caps from [5] (see read_caps).
 * A reservation still held (even past its lease, as long as nobody reclaimed it) is checked
 * against its caps again without its own amount, as reserve checked it: what was spent while
 * it waited counts. Within them it becomes permanent and counts in the window from now, its
 * signing; over one it is given back (with a release) and refused. One already given back is
 * refused, so nothing is sent that the caps do not count. Returns {"ok"}, {"gone"} or
 * {"refused", ...} as RESERVE does, with what is spent without it.
 */
export const RECORD_SIGNED = `${PRELUDE}
local id, event, caps = ARGV[3], ARGV[4], read_caps(5)
local raw = redis.call('HGET', SPENDS, id)
if not raw then return {'gone'} end
-- Signed before (a retried record): it already counts for good, from its first signing.
if not redis.call('ZSCORE', LEASES, id) then
  append(at_now(event))
  return {'ok'}
end
-- No longer leased, so no trim reclaims it; one that has aged out of the window is trimmed (gone).
redis.call('ZREM', LEASES, id)
local since = redis.call('ZSCORE', WINDOW, id)
local trimmed = trim_due(id) or not since or number(since) <= DAY_CUTOFF_MS
if trimmed then
  trim_all()
  raw = redis.call('HGET', SPENDS, id)
  if not raw then return {'gone'} end
end
local spend = cjson.decode(raw)
local spent, in_session = spent_without(caps, spend)
if not trimmed and not fits(number(spend.usd), caps, spent) then
  trim_all()
  spent, in_session = spent_without(caps, spend)
end
if not fits(number(spend.usd), caps, spent) then
  forget(id, spend, true)
  append(release_event(id))
  return refused(spent)
end
-- Within the caps it counts from its signing: the totals already hold it.
redis.call('ZADD', WINDOW, NOW, id)
if not in_session then add_to_hash(SESSIONS, spend.session, spend.usd, false) end
append(at_now(event))
return {'ok'}
`;

/**
 * ARGV: [3] id, [4] outcome event JSON. An outcome means something was signed: the
 * reservation becomes permanent (counted from now when no signature was recorded). The event
 * is written whatever the state, as the file store does. Returns "ok" or "gone" (nothing
 * held: released, reclaimed or aged out).
 */
export const COMMIT = `${PRELUDE}
local id, event = ARGV[3], ARGV[4]
local held = redis.call('HEXISTS', SPENDS, id) == 1
if held and redis.call('ZREM', LEASES, id) == 1 then redis.call('ZADD', WINDOW, NOW, id) end
append(at_now(event))
return held and 'ok' or 'gone'
`;

/**
 * ARGV: [3] id, [4] release event JSON. Gives the amount back only while it is unsigned
 * (still leased); after recordSigned or commit a release changes nothing (signed money is
 * spent). The event is written either way, as the file store does.
 * Returns "released", "kept" (signed) or "gone".
 */
export const RELEASE = `${PRELUDE}
local id, event = ARGV[3], ARGV[4]
local raw = redis.call('HGET', SPENDS, id)
local result = 'gone'
if raw then
  if redis.call('ZSCORE', LEASES, id) then
    forget(id, cjson.decode(raw), true)
    result = 'released'
  else
    result = 'kept'
  end
end
append(at_now(event))
return result
`;

/**
 * ARGV: [3] id, [4] usd (what the payment counts from now on), [5] actual event JSON. Lowers
 * a signed payment (no lease left) still in the window to usd, giving the difference back to
 * the day, host, agent and session totals; a larger usd, a repeat, or a reservation unsigned
 * or gone changes nothing. The event is written either way, as the file store does.
 * Returns "lowered", "kept" or "gone".
 */
export const SETTLE_ACTUAL = `${PRELUDE}
local id, usd, event = ARGV[3], ARGV[4], ARGV[5]
local raw = redis.call('HGET', SPENDS, id)
local result = 'gone'
if raw then
  result = 'kept'
  local spend = cjson.decode(raw)
  local counted, actual = number(spend.usd), number(usd)
  if not redis.call('ZSCORE', LEASES, id) and actual < counted then
    local returned = ms(counted - actual)
    redis.call('DECRBY', DAY, returned)
    add_to_hash(HOSTS, spend.host, returned, true)
    if spend.agent then add_to_hash(AGENTS, spend.agent, returned, true) end
    if redis.call('HEXISTS', SESSIONS, spend.session) == 1 then add_to_hash(SESSIONS, spend.session, returned, true) end
    spend.usd = usd
    redis.call('HSET', SPENDS, id, cjson.encode(spend))
    result = 'lowered'
  end
end
append(at_now(event))
return result
`;

/**
 * ARGV: [3] id, [4] expired event JSON. Reconciliation proved on-chain that a signed payment
 * can no longer move money: it leaves the window and every total (day, host, agent, session),
 * as a release would. One still leased (never signed) is refused; one gone (already expired,
 * or aged out) loses nothing more. The event is written unless refused.
 * Returns "expired", "unchanged" or "unsigned".
 */
export const EXPIRE = `${PRELUDE}
local id, event = ARGV[3], ARGV[4]
local raw = redis.call('HGET', SPENDS, id)
local result = 'unchanged'
if raw then
  if redis.call('ZSCORE', LEASES, id) then return 'unsigned' end
  forget(id, cjson.decode(raw), true)
  result = 'expired'
end
append(at_now(event))
return result
`;

/**
 * ARGV: [3] id (the transfer's own), [4] usd, [5] external event JSON. A transfer out of the
 * wallet that no ledger entry explains counts in the day's total from now (no host, agent or
 * session: host "" matches no pattern); recorded again while it counts, it changes nothing.
 * Returns "recorded" or "known".
 */
export const RECORD_EXTERNAL = `${PRELUDE}
local id, usd, event = ARGV[3], ARGV[4], ARGV[5]
trim_window()
if redis.call('HEXISTS', SPENDS, id) == 1 then return 'known' end
count(id, {usd = usd, host = '', session = ''}, NOW, false)
append(at_now(event))
return 'recorded'
`;

/**
 * ARGV: [3] session id, [4] agent (optional name), [5] n, then n normalized patterns. Reclaims
 * and trims first, so the numbers are the ones a reserve would see.
 * Returns {session spent, day spent, agent spent, per pattern...}.
 */
export const USAGE = `${PRELUDE}
local session, agent, n = ARGV[3], optional_name(ARGV[4]), number(ARGV[5])
local patterns = {}
for i = 1, n do patterns[i] = ARGV[5 + i] end
reclaim_expired_leases()
trim_window()
local result = {number(redis.call('HGET', SESSIONS, session) or '0'), number(redis.call('GET', DAY) or '0'), spent_by_agent(agent)}
local sums = spent_on_patterns(patterns)
for i = 1, n do result[3 + i] = sums[i] end
return result
`;

/**
 * One payment of a file ledger (`ledger import`). ARGV after the common two: [3] id, [4] "1"
 * when it counts against the caps now (as the file store counts it), [5] usd, [6] normalized
 * host, [7] agent (optional name), [8] since when it counts (ms: its signing, or its
 * reservation when never signed), [9] n, then n × (event at (ms), event JSON). The times are
 * the file ledger's own. A payment already imported, or known live, is skipped whole, so a
 * second run changes nothing. Its events get stream IDs from their own times (never before
 * the stream's last ID), so the stream stays in time order as history expects.
 * It counts with no lease: a file-ledger reservation never released counted there until it
 * aged out, and it does here too. Returns "imported" or "skipped".
 */
export const IMPORT = `${PRELUDE}
local id, counts, usd, host, agent = ARGV[3], ARGV[4], ARGV[5], ARGV[6], optional_name(ARGV[7])
local since, n = ARGV[8], number(ARGV[9])
if redis.call('SISMEMBER', IMPORTED, id) == 1 or redis.call('HEXISTS', SPENDS, id) == 1 then return 'skipped' end
for i = 1, n do
  local event_at, json = ARGV[8 + 2 * i], ARGV[9 + 2 * i]
  local stream_id = (event_at == '0' and '0-1' or event_at .. '-0')
  local top = redis.call('XREVRANGE', LEDGER, '+', '-', 'COUNT', 1)[1]
  if top then
    local last_ms, seq = string.match(top[1], '^(%d+)-(%d+)$')
    if number(event_at) <= number(last_ms) then stream_id = last_ms .. '-' .. ms(number(seq) + 1) end
  end
  redis.call('XADD', LEDGER, 'MAXLEN', '~', MAXLEN, stream_id, '${LEDGER_FIELD}', json)
end
if counts == '1' then count(id, {usd = usd, host = host, session = '', agent = agent}, since, false) end
redis.call('SADD', IMPORTED, id)
return 'imported'
`;

/** Only the host rule, for testing it against hostMatches(): after the common two, ARGV pairs of (pattern, host); returns 1/0 each. */
export const HOST_MATCHES_PROBE = `${PRELUDE}
local out = {}
for i = 3, #ARGV, 2 do out[#out + 1] = host_matches(ARGV[i], ARGV[i + 1]) and 1 or 0 end
return out
`;
