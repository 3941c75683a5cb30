/**
 * The Lua scripts of RedisLimitStore. Each runs atomically inside Redis, so the check and the
 * change of every counter of a request are one step for all proxy instances. Time is Redis's own
 * `TIME` (one clock for every instance) unless the caller passes a time (tests only).
 *
 * Keys of a token share the hash tag `{<tokenId>}` (one cluster slot); the day and month keys
 * are named inside the scripts from that clock: `<base>day:<days since epoch>` (hash n, created)
 * and `<base>month:<year*12+month-1>` (hash t, c = tokens and nano-USD, created).
 *
 * Numbers: bucket levels are fractional and travel as "%.17g" strings; counts and nano-USD are
 * whole numbers well below 2^53 (libs/auth's limits rules cap them), exact in Lua's doubles.
 */

const COMMON = `
local DAY = 86400000
local WINDOW = 60000

local function now_ms(override)
  if override ~= '' then return tonumber(override) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Months since year 0 of a day index (days since 1970-01-01): Howard Hinnant's civil_from_days.
local function month_index(day)
  local z = day + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local m
  if mp < 10 then m = mp + 3 else m = mp - 9 end
  if m <= 2 then y = y + 1 end
  return y * 12 + m - 1
end

-- The day index of the 1st of a month index: days_from_civil.
local function month_start_day(month)
  local y = math.floor(month / 12)
  local m = month - y * 12 + 1
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mm
  if m > 2 then mm = m - 3 else mm = m + 9 end
  local doy = math.floor((153 * mm + 2) / 5)
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

local function fmt(x) return string.format('%.17g', x) end

-- A bucket's level now (full when the key is missing: new, or idle until its TTL ran out).
local function level(key, cap, now)
  local v = redis.call('HMGET', key, 'v', 't')
  if not v[1] then return cap end
  local elapsed = now - tonumber(v[2])
  if elapsed < 0 then elapsed = 0 end
  local tokens = tonumber(v[1]) + (elapsed * cap) / WINDOW
  if tokens > cap then tokens = cap end
  return tokens
end

-- Saves a level; the key lives until the bucket would be full again (then missing = full),
-- plus a margin (10 s) so that a test clock standing still never outlives it.
local function save(key, tokens, cap, now)
  redis.call('HSET', key, 'v', fmt(tokens), 't', string.format('%d', now))
  redis.call('PEXPIRE', key, math.ceil(((cap - tokens) * WINDOW) / cap) + 10000)
end

-- Gives back the reservation of one lease and forgets it.
local function release(leases, inflight, id)
  local est = redis.call('HGET', inflight, id)
  redis.call('ZREM', leases, id)
  if not est then return end
  local sp = string.find(est, ' ')
  -- As whole numbers: Lua would write minus zero as "-0", which HINCRBY refuses.
  redis.call('HINCRBY', inflight, 'rt', string.format('%d', -tonumber(string.sub(est, 1, sp - 1))))
  redis.call('HINCRBY', inflight, 'rc', string.format('%d', -tonumber(string.sub(est, sp + 1))))
  redis.call('HDEL', inflight, id)
end

-- Leases past their expiry: an instance died mid-request; its slot and reservation come back.
local function purge(leases, inflight, now)
  local expired = redis.call('ZRANGEBYSCORE', leases, '-inf', now)
  for _, id in ipairs(expired) do release(leases, inflight, id) end
end
`;

/**
 * admit. KEYS: rpm bucket, tpm bucket, leases (zset id → expiry), inflight (hash id → "tokens nano", rt, rc).
 * ARGV: base, now override, lease id, lease ttl, rpm, tpm, max_parallel, daily, monthly tokens,
 * monthly nano ('' = unlimited), estimate tokens, estimate nano.
 * Returns {status, refusal, now, day, month, rpm level, tpm level, in flight, day n, month t, month c, rt, rc}
 * with status 'ok' | 'refused' | 'seed' (a period key is missing: nothing changed; seed and retry).
 */
export const ADMIT_LUA = `${COMMON}
local base = ARGV[1]
local now = now_ms(ARGV[2])
local id, ttl = ARGV[3], tonumber(ARGV[4])
local rpm, tpm, par, daily, mtok, mnano = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local est, estn = tonumber(ARGV[11]), tonumber(ARGV[12])
local day = math.floor(now / DAY)
local month = month_index(day)
local dayKey = base .. 'day:' .. day
local monthKey = base .. 'month:' .. month

local dn = redis.call('HGET', dayKey, 'n')
local mt = redis.call('HMGET', monthKey, 't', 'c')
if not dn or not mt[1] then
  return {'seed', '', string.format('%d', now), tostring(day), tostring(month), dn and '1' or '0', mt[1] and '1' or '0'}
end
dn = tonumber(dn)
local mtv, mcv = tonumber(mt[1]), tonumber(mt[2])

purge(KEYS[3], KEYS[4], now)
local inflight = redis.call('ZCARD', KEYS[3])
local rt = tonumber(redis.call('HGET', KEYS[4], 'rt') or '0')
local rc = tonumber(redis.call('HGET', KEYS[4], 'rc') or '0')
local rl, tl = '', ''
local rpmcap, tpmcap
if rpm ~= '' then rpmcap = tonumber(rpm); rl = level(KEYS[1], rpmcap, now) end
if tpm ~= '' then tpmcap = tonumber(tpm); tl = level(KEYS[2], tpmcap, now) end

local function answer(status, refusal)
  local r, t = rl, tl
  if r ~= '' then r = fmt(r) end
  if t ~= '' then t = fmt(t) end
  return {status, refusal, string.format('%d', now), tostring(day), tostring(month), r, t, tostring(inflight),
    string.format('%d', dn), string.format('%d', mtv), string.format('%d', mcv), string.format('%d', rt), string.format('%d', rc)}
end

-- The same checks, in the same order, as firstRefusal() in limit-store.ts.
if rpm ~= '' and (rpmcap <= 0 or rl < 1) then return answer('refused', 'rpm') end
if tpm ~= '' and (tpmcap <= 0 or tl < math.min(est, tpmcap)) then return answer('refused', 'tpm') end
if par ~= '' and inflight >= tonumber(par) then return answer('refused', 'max_parallel') end
if daily ~= '' and dn >= tonumber(daily) then return answer('refused', 'daily_requests') end
if mtok ~= '' and mtv + rt >= tonumber(mtok) then return answer('refused', 'monthly_tokens') end
if mnano ~= '' and mcv + rc >= tonumber(mnano) then return answer('refused', 'monthly_budget_usd') end

if rpm ~= '' then rl = rl - 1; save(KEYS[1], rl, rpmcap, now) end
if tpm ~= '' then tl = tl - est; save(KEYS[2], tl, tpmcap, now) end
redis.call('ZADD', KEYS[3], now + ttl, id)
redis.call('HSET', KEYS[4], id, ARGV[11] .. ' ' .. ARGV[12])
redis.call('HINCRBY', KEYS[4], 'rt', ARGV[11])
redis.call('HINCRBY', KEYS[4], 'rc', ARGV[12])
-- The lease keys live as long as their longest lease.
for _, k in ipairs({KEYS[3], KEYS[4]}) do
  if redis.call('PTTL', k) < ttl + 1000 then redis.call('PEXPIRE', k, ttl + 1000) end
end
redis.call('HINCRBY', dayKey, 'n', 1)
inflight = inflight + 1
dn = dn + 1
rt = rt + est
rc = rc + estn
return answer('ok', '')
`;

/**
 * settle. KEYS: tpm bucket, leases, inflight. ARGV: base, now override, lease id, tpm capacity
 * ('' = none), estimate tokens, actual tokens, actual nano.
 * Returns {'ok', now} or {'seed', now, day, month} when the month key is missing (nothing changed).
 */
export const SETTLE_LUA = `${COMMON}
local base = ARGV[1]
local now = now_ms(ARGV[2])
local day = math.floor(now / DAY)
local month = month_index(day)
local monthKey = base .. 'month:' .. month
if redis.call('EXISTS', monthKey) == 0 then return {'seed', string.format('%d', now), tostring(day), tostring(month)} end
-- An expired lease was released by a purge already; releasing is a no-op then.
release(KEYS[2], KEYS[3], ARGV[3])
if ARGV[4] ~= '' then
  local cap = tonumber(ARGV[4])
  if cap > 0 then
    local tokens = level(KEYS[1], cap, now) + tonumber(ARGV[5]) - tonumber(ARGV[6])
    if tokens > cap then tokens = cap end
    save(KEYS[1], tokens, cap, now)
  end
end
redis.call('HINCRBY', monthKey, 't', ARGV[6])
redis.call('HINCRBY', monthKey, 'c', ARGV[7])
return {'ok', string.format('%d', now)}
`;

/**
 * release: ends a lease its instance will never settle on Redis (it lost Redis while the request
 * ran, or lost the answer to the admit), giving back its max_parallel slot and reservations.
 * KEYS: leases, inflight. ARGV: lease id, now override.
 * Returns {'1' when Redis held the lease, else '0'; now}.
 */
export const RELEASE_LUA = `${COMMON}
local now = now_ms(ARGV[2])
local held = redis.call('ZSCORE', KEYS[1], ARGV[1]) ~= false or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1
release(KEYS[1], KEYS[2], ARGV[1])
if held then return {'1', string.format('%d', now)} end
return {'0', string.format('%d', now)}
`;

/**
 * seed: creates a day or month key from the database's figures unless it exists (like SET NX).
 * KEYS: the counter key. ARGV: now override, ttl ms, field, value, field, value…
 * The key records when it was created (the merge after an outage needs it). Returns 1 when created.
 */
export const SEED_LUA = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local now = now_ms(ARGV[1])
redis.call('HSET', KEYS[1], 'created', string.format('%d', now))
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * merge: adds what an instance counted in memory during an outage to a day or month key, but
 * only to a key that existed before the outage (created ≤ ARGV[1]). A key created since was
 * seeded from the database, whose rollups already hold those requests.
 * KEYS: the counter key. ARGV: created bound, field, increment, field, increment…
 * Returns 1 when added, 0 when dropped.
 */
export const MERGE_LUA = `
local created = redis.call('HGET', KEYS[1], 'created')
if not created or tonumber(created) > tonumber(ARGV[1]) then return 0 end
for i = 2, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
`;

/**
 * peek: the counters without changing anything (usage_now). KEYS: rpm, tpm, leases, inflight.
 * ARGV: base, now override, rpm capacity, tpm capacity ('' = none).
 * Returns {now, day, month, rpm level, tpm level, in flight, day n or '', month t or '', month c or ''}.
 */
export const PEEK_LUA = `${COMMON}
local base = ARGV[1]
local now = now_ms(ARGV[2])
local day = math.floor(now / DAY)
local month = month_index(day)
local rl, tl = '', ''
if ARGV[3] ~= '' then rl = fmt(level(KEYS[1], tonumber(ARGV[3]), now)) end
if ARGV[4] ~= '' then tl = fmt(level(KEYS[2], tonumber(ARGV[4]), now)) end
local inflight = redis.call('ZCOUNT', KEYS[3], '(' .. string.format('%d', now), '+inf')
local dn = redis.call('HGET', base .. 'day:' .. day, 'n') or ''
local mt = redis.call('HMGET', base .. 'month:' .. month, 't', 'c')
return {string.format('%d', now), tostring(day), tostring(month), rl, tl, tostring(inflight), dn, mt[1] or '', mt[2] or ''}
`;

/** The scripts' calendar on its own, so a spec can compare it with JavaScript's Date: for each day index in ARGV, [month, its first day, the next month's first day]. */
export const CALENDAR_LUA = `${COMMON}
local out = {}
for _, d in ipairs(ARGV) do
  local month = month_index(tonumber(d))
  table.insert(out, tostring(month))
  table.insert(out, tostring(month_start_day(month)))
  table.insert(out, tostring(month_start_day(month + 1)))
end
return out
`;
