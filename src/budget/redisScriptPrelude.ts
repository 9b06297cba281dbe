import { DAY_MS } from "./spendWindow.js";

/**
 * The Lua library every script of the Redis budget store starts with (redisScripts.ts holds
 * the operations).
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

/** The start of every script: KEYS and the common ARGV by name, Redis' time read once, and the helpers the operations share. */
export const PRELUDE = `
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
