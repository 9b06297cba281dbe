/**
 * The Lua scripts of the Redis budget store: each operation is ONE script, so the check, the
 * state change and its ledger entry happen atomically in one round trip.
 *
 * Key layout (every key of a wallet shares the hash tag `{wallet}`, so all of them live in one
 * Redis Cluster slot and every script may touch them together; all are passed in KEYS):
 *   KEYS[1] window      ZSET  reservation id → reserved at (ms): what counts against the rolling 24 h
 *   KEYS[2] leases      ZSET  reservation id → lease deadline (ms): the reservations not yet signed
 *   KEYS[3] spends      HASH  reservation id → {"usd","host","session","agent"?} (JSON, amounts as strings)
 *   KEYS[4] day         STRING  sum of `usd` over `window` (INCRBY, an exact 64-bit integer)
 *   KEYS[5] hosts       HASH  normalized host → sum of its `usd` in `window`
 *   KEYS[6] sessions    HASH  session id → what the session reserved (minus what it released)
 *   KEYS[7] sessionSeen ZSET  session id → its last reservation (ms), to forget idle sessions
 *   KEYS[8] ledger      STREAM  field "e": one ledger event as JSON (the shapes of ledgerEvents.ts)
 *   KEYS[9] agents      HASH  agent name → sum of its `usd` in `window` (HTTP mode's per-agent cap)
 *   KEYS[10] imported   SET   reservation ids brought in by `ledger import` (so a second run adds nothing)
 *
 * Common ARGV: [1] now, [2] now - 24 h, [3] now - SESSION_IDLE_MS, [4] ledger MAXLEN; all
 * decimal integer strings computed by the caller (Lua never formats a number: tostring() of a
 * double has 14 significant digits, so every value written back comes from a string).
 * An optional name (an agent) travels as "" when absent and "=name" when present.
 *
 * Exactness: Lua numbers are doubles, exact for integers below 2^53. Amounts are USD micros
 * and the caller clamps every limit to 2^53 - 1 micros (about 9 billion USD), so a reservation
 * is only ever taken when the new total stays at or below such a limit: every total (day,
 * session, host) stays below 2^53 and every comparison and sum here is exact. Comparisons
 * are written `price > limit - spent`, where both sides are exact. Totals in Redis are changed
 * with INCRBY/HINCRBY/DECRBY on the amount strings, which is exact 64-bit integer arithmetic.
 */

export const LEDGER_FIELD = "e";

const PRELUDE = `
local WINDOW, LEASES, SPENDS, DAY, HOSTS, SESSIONS, SESSION_SEEN, LEDGER, AGENTS, IMPORTED =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local NOW, DAY_CUTOFF, SESSION_CUTOFF, MAXLEN = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
-- Bounds the work of one call; what is left over is done by the next one (until then it
-- counts as spent, which errs on the side of the caps).
local BATCH = 1000

local function append(json)
  redis.call('XADD', LEDGER, 'MAXLEN', '~', MAXLEN, '*', '${LEDGER_FIELD}', json)
end

local function add_to_hash(key, field, usd, negative)
  if usd == '0' then return end
  local total = redis.call('HINCRBY', key, field, (negative and '-' or '') .. usd)
  if total <= 0 then redis.call('HDEL', key, field) end
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

-- The rolling 24 h: a reservation made at or before now - 24 h no longer counts.
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

local function number(value)
  local n = tonumber(value)
  if n == nil then error('not a number: ' .. tostring(value)) end
  return n
end
`;

/**
 * ARGV after the common four: [5] id, [6] usd, [7] session id, [8] normalized host, [9] the
 * payment's agent (optional name), [10] perCall, [11] perSession, [12] perDay, [13] the capped
 * agent (optional name), [14] its perDay or "", [15] lease deadline, [16] reserve event JSON,
 * [17] n host limits, then n × (pattern, perCall or "", perDay or "").
 * Returns {"ok"} or {"refused", session spent, day spent, agent spent, spent per host limit...}.
 */
export const RESERVE = `${PRELUDE}
local id, usd, session, host, agent = ARGV[5], ARGV[6], ARGV[7], ARGV[8], optional_name(ARGV[9])
local per_call, per_session, per_day = number(ARGV[10]), number(ARGV[11]), number(ARGV[12])
local capped_agent, agent_per_day = optional_name(ARGV[13]), ARGV[14]
local lease_until, event, n = ARGV[15], ARGV[16], number(ARGV[17])
local patterns, host_per_call, host_per_day = {}, {}, {}
for i = 1, n do
  local base = 17 + (i - 1) * 3
  patterns[i] = ARGV[base + 1]
  host_per_call[i] = ARGV[base + 2]
  host_per_day[i] = ARGV[base + 3]
end

reclaim_expired_leases()
trim_window()
-- The same reservation sent twice (a retried command) is taken once.
if redis.call('HEXISTS', SPENDS, id) == 1 then return {'ok'} end

local price = number(usd)
local session_spent = number(redis.call('HGET', SESSIONS, session) or '0')
local day_spent = number(redis.call('GET', DAY) or '0')
local agent_spent = spent_by_agent(capped_agent)
local host_spent = spent_on_patterns(patterns)

-- Every cap of assertWithinCaps(), in exact arithmetic (see the header).
local fits = price <= per_call and price <= per_session - session_spent and price <= per_day - day_spent
if capped_agent ~= nil and agent_per_day ~= '' and price > number(agent_per_day) - agent_spent then fits = false end
for i = 1, n do
  if host_per_call[i] ~= '' and price > number(host_per_call[i]) then fits = false end
  if host_per_day[i] ~= '' and price > number(host_per_day[i]) - host_spent[i] then fits = false end
end
if not fits then
  local refused = {'refused', session_spent, day_spent, agent_spent}
  for i = 1, n do refused[4 + i] = host_spent[i] end
  return refused
end

redis.call('HSET', SPENDS, id, cjson.encode({usd = usd, host = host, session = session, agent = agent}))
redis.call('ZADD', WINDOW, NOW, id)
redis.call('ZADD', LEASES, lease_until, id)
redis.call('INCRBY', DAY, usd)
add_to_hash(HOSTS, host, usd, false)
if agent then add_to_hash(AGENTS, agent, usd, false) end
add_to_hash(SESSIONS, session, usd, false)
redis.call('ZADD', SESSION_SEEN, NOW, session)
append(event)
return {'ok'}
`;

/**
 * ARGV: [5] id, [6] sign event JSON. A reservation still held (even past its lease, as long
 * as nobody reclaimed it) becomes permanent; one already given back is refused, so nothing
 * is sent that the caps do not count. Returns "ok" or "gone".
 */
export const RECORD_SIGNED = `${PRELUDE}
local id, event = ARGV[5], ARGV[6]
if redis.call('HEXISTS', SPENDS, id) == 0 then return 'gone' end
redis.call('ZREM', LEASES, id)
append(event)
return 'ok'
`;

/**
 * ARGV: [5] id, [6] outcome event JSON. An outcome means something was signed: the
 * reservation becomes permanent. The event is written whatever the state, as the file
 * store does. Returns "ok" or "gone" (nothing held: released, reclaimed or aged out).
 */
export const COMMIT = `${PRELUDE}
local id, event = ARGV[5], ARGV[6]
local held = redis.call('HEXISTS', SPENDS, id) == 1
redis.call('ZREM', LEASES, id)
append(event)
return held and 'ok' or 'gone'
`;

/**
 * ARGV: [5] id, [6] release event JSON. Gives the amount back only while it is unsigned
 * (still leased); after recordSigned or commit a release changes nothing (signed money is
 * spent). The event is written either way, as the file store does.
 * Returns "released", "kept" (signed) or "gone".
 */
export const RELEASE = `${PRELUDE}
local id, event = ARGV[5], ARGV[6]
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
append(event)
return result
`;

/**
 * ARGV: [5] session id, [6] agent (optional name), [7] n, then n normalized patterns. Reclaims
 * and trims first, so the numbers are the ones a reserve would see.
 * Returns {session spent, day spent, agent spent, per pattern...}.
 */
export const USAGE = `${PRELUDE}
local session, agent, n = ARGV[5], optional_name(ARGV[6]), number(ARGV[7])
local patterns = {}
for i = 1, n do patterns[i] = ARGV[7 + i] end
reclaim_expired_leases()
trim_window()
local result = {number(redis.call('HGET', SESSIONS, session) or '0'), number(redis.call('GET', DAY) or '0'), spent_by_agent(agent)}
local sums = spent_on_patterns(patterns)
for i = 1, n do result[3 + i] = sums[i] end
return result
`;

/**
 * One payment of a file ledger (`ledger import`). ARGV after the common four: [5] id, [6] "1"
 * when it counts against the caps now (reserved within the 24 h and signed, or never released),
 * [7] usd, [8] normalized host, [9] agent (optional name), [10] reserved at (ms), [11] n, then
 * n × (event at (ms), event JSON). A payment already imported, or known live, is skipped whole,
 * so a second run changes nothing. Its events get stream IDs from their own times (never
 * before the stream's last ID), so the stream stays in time order as history expects.
 * It counts with no lease: a file-ledger reservation never released counted there until it
 * aged out, and it does here too. Returns "imported" or "skipped".
 */
export const IMPORT = `${PRELUDE}
local id, counts, usd, host, agent = ARGV[5], ARGV[6], ARGV[7], ARGV[8], optional_name(ARGV[9])
local at, n = ARGV[10], number(ARGV[11])
if redis.call('SISMEMBER', IMPORTED, id) == 1 or redis.call('HEXISTS', SPENDS, id) == 1 then return 'skipped' end
for i = 1, n do
  local event_at, json = ARGV[10 + 2 * i], ARGV[11 + 2 * i]
  local stream_id = (event_at == '0' and '0-1' or event_at .. '-0')
  local top = redis.call('XREVRANGE', LEDGER, '+', '-', 'COUNT', 1)[1]
  if top then
    local ms, seq = string.match(top[1], '^(%d+)-(%d+)$')
    if number(event_at) <= number(ms) then stream_id = ms .. '-' .. tostring(number(seq) + 1) end
  end
  redis.call('XADD', LEDGER, 'MAXLEN', '~', MAXLEN, stream_id, '${LEDGER_FIELD}', json)
end
if counts == '1' then
  redis.call('HSET', SPENDS, id, cjson.encode({usd = usd, host = host, session = '', agent = agent}))
  redis.call('ZADD', WINDOW, at, id)
  redis.call('INCRBY', DAY, usd)
  add_to_hash(HOSTS, host, usd, false)
  if agent then add_to_hash(AGENTS, agent, usd, false) end
end
redis.call('SADD', IMPORTED, id)
return 'imported'
`;

/** Only the host rule, for testing it against hostMatches(): ARGV pairs of (pattern, host); returns 1/0 each. */
export const HOST_MATCHES_PROBE = `${PRELUDE}
local out = {}
for i = 1, #ARGV, 2 do out[#out + 1] = host_matches(ARGV[i], ARGV[i + 1]) and 1 or 0 end
return out
`;
