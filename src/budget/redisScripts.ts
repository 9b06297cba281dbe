import { DAY_MS } from "./spendWindow.js";

/**
 * The Lua scripts of the Redis budget store: each operation is ONE script, so the check, the
 * state change and its ledger entry happen atomically in one round trip.
 *
 * Key layout (every key of a wallet shares the hash tag `{wallet}`, so all of them live in one
 * Redis Cluster slot and every script may touch them together; all are passed in KEYS):
 *   KEYS[1] window      ZSET  reservation id → since when it counts (ms, Redis' clock): its
 *                             reservation, then its signing; what counts against the rolling 24 h
 *   KEYS[2] leases      ZSET  reservation id → lease deadline (ms, Redis' clock): the reservations not yet signed
 *   KEYS[3] spends      HASH  reservation id → {"usd","host","session","agent"?} (JSON, amounts as strings)
 *   KEYS[4] day         STRING  sum of `usd` over `window` (INCRBY, an exact 64-bit integer)
 *   KEYS[5] hosts       HASH  normalized host → sum of its `usd` in `window`
 *   KEYS[6] sessions    HASH  session id → what the session reserved (minus what it released)
 *   KEYS[7] sessionSeen ZSET  session id → its last reservation (ms, Redis' clock), to forget idle sessions
 *   KEYS[8] ledger      STREAM  field "e": one ledger event as JSON (the shapes of ledgerEvents.ts)
 *   KEYS[9] agents      HASH  agent name → sum of its `usd` in `window` (HTTP mode's per-agent cap)
 *   KEYS[10] imported   SET   reservation ids brought in by `ledger import` (so a second run adds nothing)
 *
 * Time: every window cut-off, lease deadline, idle cut-off and event `at` is Redis' own clock
 * (TIME), read once per script, never a server's: servers whose clocks disagree must still
 * agree on what counts. (A script that reads TIME may write because scripts are replicated
 * by their effects, the default since Redis 5 and the only mode since 7; Redis Cluster too.)
 * Only `ledger import` writes times of its own: those the file ledger recorded.
 *
 * Common ARGV: [1] "" (tests only: a time in ms that stands in for TIME), [2] ledger MAXLEN.
 * Every number arrives as a decimal integer string, and Lua formats one only with
 * string.format('%.0f') (exact for integers below 2^53; tostring() of a double keeps 14 digits).
 * An optional name (an agent) travels as "" when absent and "=name" when present.
 * Events are handed over as JSON without `at`; the script adds Redis' time.
 *
 * Exactness: Lua numbers are doubles, exact for integers below 2^53. Amounts are USD micros
 * and the caller clamps every limit to 2^53 - 1 micros (about 9 billion USD), so a reservation
 * is only ever taken when the new total stays at or below such a limit: every total (day,
 * session, host) stays below 2^53 and every comparison and sum here is exact. Comparisons
 * are written `price > limit - spent`, where both sides are exact. Totals in Redis are changed
 * with INCRBY/HINCRBY/DECRBY on the amount strings, which is exact 64-bit integer arithmetic.
 */

/** A session's total is forgotten after this long without a reservation (sessions are per server process). */
export const SESSION_IDLE_MS = 30 * DAY_MS;

export const LEDGER_FIELD = "e";

const PRELUDE = `
local WINDOW, LEASES, SPENDS, DAY, HOSTS, SESSIONS, SESSION_SEEN, LEDGER, AGENTS, IMPORTED =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local CLOCK_FOR_TESTS, MAXLEN = ARGV[1], ARGV[2]
-- Bounds the work of one call; what is left over is done by the next one (until then it
-- counts as spent, which errs on the side of the caps).
local BATCH = 1000

-- Redis before 7 replicates a script verbatim unless told otherwise, and then refuses writes after TIME.
if redis.replicate_commands then redis.replicate_commands() end

local function number(value)
  local n = tonumber(value)
  if n == nil then error('not a number: ' .. tostring(value)) end
  return n
end

local function ms(n)
  return string.format('%.0f', n)
end

local function redis_time_ms()
  local time = redis.call('TIME')
  return number(time[1]) * 1000 + math.floor(number(time[2]) / 1000)
end

local NOW_MS = CLOCK_FOR_TESTS == '' and redis_time_ms() or number(CLOCK_FOR_TESTS)
local NOW = ms(NOW_MS)
local DAY_CUTOFF_MS, SESSION_CUTOFF_MS = NOW_MS - ${DAY_MS}, NOW_MS - ${SESSION_IDLE_MS}
local DAY_CUTOFF = ms(DAY_CUTOFF_MS)
local SESSION_CUTOFF = ms(SESSION_CUTOFF_MS)

local function append(json)
  redis.call('XADD', LEDGER, 'MAXLEN', '~', MAXLEN, '*', '${LEDGER_FIELD}', json)
end

-- An event as the caller wrote it (a JSON object without "at"), at Redis' time.
local function at_now(json)
  return string.sub(json, 1, -2) .. ',"at":' .. NOW .. '}'
end

local function add_to_hash(key, field, usd, negative)
  if usd == '0' then return end
  local total = redis.call('HINCRBY', key, field, (negative and '-' or '') .. usd)
  if total <= 0 then redis.call('HDEL', key, field) end
end

-- Puts a spend in the window, counted from \`since\`: in the day, host and agent totals, and
-- in its session's when \`to_session\`.
local function count(id, spend, since, to_session)
  redis.call('HSET', SPENDS, id, cjson.encode(spend))
  redis.call('ZADD', WINDOW, since, id)
  redis.call('INCRBY', DAY, spend.usd)
  add_to_hash(HOSTS, spend.host, spend.usd, false)
  if spend.agent then add_to_hash(AGENTS, spend.agent, spend.usd, false) end
  if to_session then add_to_hash(SESSIONS, spend.session, spend.usd, false) end
end

-- Takes a reservation out of the window: its amount leaves the day and host totals, and the
-- session total when it is given back (a release), not when it ages out (as SpendWindow).
local function forget(id, spend, from_session)
  redis.call('HDEL', SPENDS, id)
  redis.call('ZREM', WINDOW, id)
  redis.call('ZREM', LEASES, id)
  redis.call('DECRBY', DAY, spend.usd)
  add_to_hash(HOSTS, spend.host, spend.usd, true)
  if spend.agent then add_to_hash(AGENTS, spend.agent, spend.usd, true) end
  if from_session and redis.call('HEXISTS', SESSIONS, spend.session) == 1 then
    add_to_hash(SESSIONS, spend.session, spend.usd, true)
  end
end

local function release_event(id)
  return '{"type":"release","id":' .. cjson.encode(id) .. ',"at":' .. NOW .. '}'
end

-- A reservation never signed whose lease ran out: its holder is taken for dead, the amount
-- goes back, and the ledger says so with a release.
local function reclaim_expired_leases()
  local ids = redis.call('ZRANGEBYSCORE', LEASES, '-inf', '(' .. NOW, 'LIMIT', 0, BATCH)
  for _, id in ipairs(ids) do
    local raw = redis.call('HGET', SPENDS, id)
    if raw then
      forget(id, cjson.decode(raw), true)
      append(release_event(id))
    else
      redis.call('ZREM', LEASES, id)
    end
  end
end

-- The rolling 24 h: a payment counted since now - 24 h or earlier no longer counts.
local function trim_window()
  local ids = redis.call('ZRANGEBYSCORE', WINDOW, '-inf', DAY_CUTOFF, 'LIMIT', 0, BATCH)
  for _, id in ipairs(ids) do
    local raw = redis.call('HGET', SPENDS, id)
    if raw then forget(id, cjson.decode(raw), false) else redis.call('ZREM', WINDOW, id) end
  end
  local idle = redis.call('ZRANGEBYSCORE', SESSION_SEEN, '-inf', SESSION_CUTOFF, 'LIMIT', 0, BATCH)
  for _, session in ipairs(idle) do
    redis.call('HDEL', SESSIONS, session)
    redis.call('ZREM', SESSION_SEEN, session)
  end
end

-- Reclaiming and trimming only ever lower what counts, so a payment that fits before them fits
-- after them too: reserve and recordSigned check first and trim only when the check fails, when
-- their own entry may be one to trim, or about one call in 8 (by its random id) so the keys do
-- not grow; the refusal and its numbers always come after a trim, and usage() always trims.
-- This takes three range reads off each payment's scripts (usage(), run before each payment, trims anyway).
local function trim_due(id)
  return string.byte(id, -1) % 8 == 0
end

local function trim_all()
  reclaim_expired_leases()
  trim_window()
end

-- A session idle long enough to be forgotten is forgotten before it counts again.
local function session_idle(session)
  local seen = redis.call('ZSCORE', SESSION_SEEN, session)
  return seen ~= false and number(seen) <= SESSION_CUTOFF_MS
end

-- The same rule as hostMatches() in src/policy/hosts.ts, on a host and pattern the caller normalized.
local function host_matches(pattern, host)
  if string.sub(pattern, 1, 2) == '*.' then
    local suffix = string.sub(pattern, 2)
    return #host > #suffix and string.sub(host, -#suffix) == suffix
  end
  return host == pattern
end

-- What hosts matching each pattern spent in the window. Summed per host, matched here, so a
-- pattern added to the config later still sees what its hosts spent before.
local function spent_on_patterns(patterns)
  local sums = {}
  for i = 1, #patterns do sums[i] = 0 end
  if #patterns == 0 then return sums end
  local flat = redis.call('HGETALL', HOSTS)
  for j = 1, #flat, 2 do
    local spent = tonumber(flat[j + 1])
    for i, pattern in ipairs(patterns) do
      if host_matches(pattern, flat[j]) then sums[i] = sums[i] + spent end
    end
  end
  return sums
end

-- "" → nil, "=name" → "name"
local function optional_name(value)
  if value == '' then return nil end
  return string.sub(value, 2)
end

-- What the agent spent in the window; 0 when no agent is named.
local function spent_by_agent(agent)
  if agent == nil then return 0 end
  return tonumber(redis.call('HGET', AGENTS, agent) or '0')
end

-- The caps of one payment, from ARGV[base] on: perCall, perSession, perDay, the capped agent
-- (optional name), its perDay or "", n, then n host limits × (pattern, perCall or "", perDay or "").
local function read_caps(base)
  local caps = {
    per_call = number(ARGV[base]), per_session = number(ARGV[base + 1]), per_day = number(ARGV[base + 2]),
    agent = optional_name(ARGV[base + 3]), agent_per_day = ARGV[base + 4],
    patterns = {}, host_per_call = {}, host_per_day = {},
  }
  for i = 1, number(ARGV[base + 5]) do
    local at = base + 6 + (i - 1) * 3
    caps.patterns[i], caps.host_per_call[i], caps.host_per_day[i] = ARGV[at], ARGV[at + 1], ARGV[at + 2]
  end
  return caps
end

-- What counts now against these caps: {session, day, agent, then per host limit}.
local function spent_under(caps, session)
  local spent = {number(redis.call('HGET', SESSIONS, session) or '0'), number(redis.call('GET', DAY) or '0'), spent_by_agent(caps.agent)}
  local hosts = spent_on_patterns(caps.patterns)
  for i = 1, #caps.patterns do spent[3 + i] = hosts[i] end
  return spent
end

-- Every cap of assertWithinCaps(), in exact arithmetic (see the header).
local function fits(price, caps, spent)
  if price > caps.per_call or price > caps.per_session - spent[1] or price > caps.per_day - spent[2] then return false end
  if caps.agent ~= nil and caps.agent_per_day ~= '' and price > number(caps.agent_per_day) - spent[3] then return false end
  for i = 1, #caps.patterns do
    if caps.host_per_call[i] ~= '' and price > number(caps.host_per_call[i]) then return false end
    if caps.host_per_day[i] ~= '' and price > number(caps.host_per_day[i]) - spent[3 + i] then return false end
  end
  return true
end

-- What counts against these caps without a held reservation's own amount: the very numbers
-- spent_under() gives once it is forgotten, as every total that holds it includes it whole
-- (day, host, agent; its session's when that was not forgotten: then \`in_session\` is false).
local function spent_without(caps, spend)
  local price = number(spend.usd)
  local spent = spent_under(caps, spend.session)
  local in_session = spent[1] > 0
  if in_session then spent[1] = spent[1] - price end
  spent[2] = spent[2] - price
  if spend.agent ~= nil and spend.agent == caps.agent then spent[3] = spent[3] - price end
  for i, pattern in ipairs(caps.patterns) do
    if host_matches(pattern, spend.host) then spent[3 + i] = spent[3 + i] - price end
  end
  return spent, in_session
end

local function refused(spent)
  local reply = {'refused'}
  for i = 1, #spent do reply[1 + i] = spent[i] end
  return reply
end
`;

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
