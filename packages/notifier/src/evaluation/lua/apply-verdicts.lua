--[[
  Applies a batch of decided rounds, oldest first, each to its check's state machine in order and
  exactly once. A change of whether a check is alerting is also written to the transitions outbox
  the incident side drains, in the same step, so a crash between the two loses nothing. Each
  applied round is counted once in its UTC day and hour verdict buckets (uptime), and its round book
  (a field of the check's latest hash) is deleted: from now on the state's `lastRound`, and its copy
  `~a` in the latest hash (what add-round-outcomes.lua reads), turn its late outcomes away.

  Input:
    KEYS[1] transitions outbox: check id → transition JSON
    KEYS[2…] for each round in turn: its check's state hash, then its verdict rings by UTC day and by
      UTC hour (strings: a slot per period of the three counts; see core's results/verdict-ring.ts),
      then its latest hash (`~b<round>`, the round's book; `~a`, the last round applied)

    ARGV[1] now, epoch ms
    ARGV[2] how long a day ring lives without a new day, s (its 91 days)
    ARGV[3] how long an hour ring lives without a new hour, s (its 26 hours)
    ARGV[4…] for each round in turn, six: round (epoch ms); verdict ('ok', 'degraded' or 'fail');
      confirmations (rounds in a row that change the state); check id; RoundDetail JSON; alert on
      ('down' or 'degraded')

  Output:
    One reply per round, in order:
    {} for a round at or before the last one applied to its check
    {from, to, transitionJson}: transitionJson '' when whether the check alerts did not change
]]
local transitionsKey = KEYS[1]
local now = tonumber(ARGV[1])
local dayTtlS = tonumber(ARGV[2])
local hourTtlS = tonumber(ARGV[3])
local COUNTER = { ok = 0, degraded = 1, fail = 2 }

-- Counts the verdict in the ring of its period (day or hour): core's results/verdict-ring.ts, a u32
-- of the newest period counted, then `slots` slots (period mod slots) of three `width`-bit counters.
-- One BITFIELD reads the newest period and counts: right for the newest period or one the ring
-- still keeps, the common case. A newer period then zeroes the slots it passes (its own, just
-- counted, included), counts again and renews the TTL; a new ring is made at full length first
-- (one allocation, never grown); a period the ring no longer keeps takes its count back.
local function count(key, periodMs, slots, width, ttlS, round, v)
  local period = math.floor(round / periodMs)
  local slotBits = 3 * width
  local counter = 'u' .. width
  local at = 32 + (period % slots) * slotBits + COUNTER[v] * width
  local newest = redis.call('BITFIELD', key, 'GET', 'u32', 0, 'OVERFLOW', 'SAT', 'INCRBY', counter, at, 1)[1]
  if period <= newest then
    if period <= newest - slots then redis.call('BITFIELD', key, 'OVERFLOW', 'SAT', 'INCRBY', counter, at, -1) end
    return
  end
  if newest == 0 then
    redis.call('SET', key, string.rep('\0', math.ceil((32 + slots * slotBits) / 8)))
    newest = period - 1
  end
  local args = { 'SET', 'u32', 0, period }
  for p = math.max(newest + 1, period - slots + 1), period do
    local slot = 32 + (p % slots) * slotBits
    for c = 0, 2 do
      args[#args + 1] = 'SET'; args[#args + 1] = counter; args[#args + 1] = slot + c * width; args[#args + 1] = 0
    end
  end
  args[#args + 1] = 'INCRBY'; args[#args + 1] = counter; args[#args + 1] = at; args[#args + 1] = 1
  redis.call('BITFIELD', key, unpack(args))
  redis.call('EXPIRE', key, ttlS)
end

-- Functions at the top, not per round: a closure made per round costs Lua more than a Redis call.
local function alerting(s, alertOn)
  return s == 'down' or (alertOn == 'degraded' and s == 'degraded')
end

-- A field whose value changed goes in `fields` (one HSET), one without a value that had one in
-- `cleared` (one HDEL); one unchanged is not written (every field but `state` holds a number).
local function set(fields, cleared, name, value, before)
  if value then
    if before and tonumber(before) == tonumber(value) then return end
    fields[#fields + 1] = name
    fields[#fields + 1] = value
  elseif before then
    cleared[#cleared + 1] = name
  end
end

local function put(fields, name, value)
  fields[#fields + 1] = name
  fields[#fields + 1] = value
end

-- The state a round's verdict leads to, from the streaks counted with it.
local function nextState(state, v, conf, failStreak, goodStreak, okStreak, badStreak)
  if v == 'fail' then
    if failStreak >= conf then return 'down' end
  elseif state == 'down' then
    if goodStreak >= conf then if v == 'ok' then return 'up' else return 'degraded' end end
  elseif state == 'new' or state == 'unknown' then
    if v == 'ok' then return 'up' elseif badStreak >= conf then return 'degraded' end
  elseif state == 'up' then
    if badStreak >= conf then return 'degraded' end
  elseif state == 'degraded' then
    if okStreak >= conf then return 'up' end
  end
  return state
end

-- The rounds a state keeps besides its streaks: read only by a round that starts a failing or bad
-- streak (it keeps the last good or ok round before) or changes whether the check alerts (its
-- transition carries them). Any other round only sets those it is the new value of.
local KEPT = { 'firstFailedRound', 'lastFailedRound', 'firstBadRound', 'lastBadRound', 'lastGoodRound',
  'lastOkRound', 'goodBeforeFail', 'okBeforeBad', 'recoveryStart', 'okRecoveryStart' }
local NOTHING_READ = {}

local function transitionOf(checkId, round, state, to, alertOn, detailJson, k)
  local t = {checkId = checkId, at = now, round = round, from = state, to = to, detail = cjson.decode(detailJson)}
  if alerting(to, alertOn) then
    t.kind = 'alert'
    if to == 'down' then
      t.firstFailedRound = tonumber(k.firstFailed); t.lastFailedRound = tonumber(k.lastFailed)
      if k.goodBeforeFail then t.lastGoodBefore = tonumber(k.goodBeforeFail) end
    else
      t.firstFailedRound = tonumber(k.firstBad); t.lastFailedRound = tonumber(k.lastBad)
      if k.okBeforeBad then t.lastGoodBefore = tonumber(k.okBeforeBad) end
    end
  else
    t.kind = 'recover'
    if state == 'down' then
      t.firstGoodAfter = tonumber(k.recoveryStart); t.lastFailedRound = tonumber(k.lastFailed)
    else
      t.firstGoodAfter = tonumber(k.okRecoveryStart); t.lastFailedRound = tonumber(k.lastBad)
    end
  end
  return cjson.encode(t)
end

local function apply(stateKey, dayKey, hourKey, latestKey, roundArg, v, conf, checkId, detailJson, alertOn)
  local round = tonumber(roundArg)
  local f = redis.call('HMGET', stateKey, 'lastRound', 'state', 'failStreak', 'goodStreak', 'okStreak', 'badStreak',
    'blindFrom', 'detail')
  redis.call('HDEL', latestKey, '~b' .. roundArg)
  if round <= tonumber(f[1] or '-1') then return {} end
  redis.call('HSET', latestKey, '~a', roundArg)
  local state = f[2] or 'new'
  -- Blind while alerting: its incident is still open, so it resumes there and recovers as usual.
  if state == 'unknown' and f[7] and alerting(f[7], alertOn) then state = f[7] end
  local failStreak, goodStreak, okStreak, badStreak = tonumber(f[3] or '0'), tonumber(f[4] or '0'), tonumber(f[5] or '0'), tonumber(f[6] or '0')
  if v == 'fail' then failStreak = failStreak + 1; goodStreak = 0 else goodStreak = goodStreak + 1; failStreak = 0 end
  if v == 'ok' then okStreak = okStreak + 1; badStreak = 0 else badStreak = badStreak + 1; okStreak = 0 end
  local to = nextState(state, v, conf, failStreak, goodStreak, okStreak, badStreak)
  local changesAlerting = alerting(to, alertOn) ~= alerting(state, alertOn)
  -- One HSET for the fields that changed, one HDEL for those without a value that had one. The
  -- round's verdict and detail are not kept (nothing read them; the detail JSON of a failing round
  -- kept the hash out of Redis's compact encoding): a hash written before loses them here.
  local fields = {'lastRound', round}
  local cleared = {}
  if f[8] then cleared[1] = 'detail'; cleared[2] = 'lastVerdict' end
  if to ~= f[2] then put(fields, 'state', to) end
  if to ~= (f[2] or 'new') then put(fields, 'since', round) end
  set(fields, cleared, 'failStreak', failStreak, f[3])
  set(fields, cleared, 'goodStreak', goodStreak, f[4])
  set(fields, cleared, 'okStreak', okStreak, f[5])
  set(fields, cleared, 'badStreak', badStreak, f[6])
  local x = NOTHING_READ
  if changesAlerting or failStreak == 1 or badStreak == 1 then x = redis.call('HMGET', stateKey, unpack(KEPT)) end
  local firstFailed, lastFailed, firstBad, lastBad, lastGood, lastOk = x[1], x[2], x[3], x[4], x[5], x[6]
  local goodBeforeFail, okBeforeBad, recoveryStart, okRecoveryStart = x[7], x[8], x[9], x[10]
  if v == 'fail' then
    if failStreak == 1 then
      firstFailed = round
      put(fields, 'firstFailedRound', round)
      set(fields, cleared, 'goodBeforeFail', lastGood, goodBeforeFail)
      goodBeforeFail = lastGood
    end
    lastFailed = round
    put(fields, 'lastFailedRound', round)
  else
    if goodStreak == 1 then recoveryStart = round; put(fields, 'recoveryStart', round) end
    put(fields, 'lastGoodRound', round)
  end
  if v == 'ok' then
    if okStreak == 1 then okRecoveryStart = round; put(fields, 'okRecoveryStart', round) end
    put(fields, 'lastOkRound', round)
  else
    if badStreak == 1 then
      firstBad = round
      put(fields, 'firstBadRound', round)
      set(fields, cleared, 'okBeforeBad', lastOk, okBeforeBad)
      okBeforeBad = lastOk
    end
    lastBad = round
    put(fields, 'lastBadRound', round)
  end
  redis.call('HSET', stateKey, unpack(fields))
  if #cleared > 0 then redis.call('HDEL', stateKey, unpack(cleared)) end
  count(dayKey, 86400000, 91, 17, dayTtlS, round, v)
  count(hourKey, 3600000, 26, 12, hourTtlS, round, v)
  local transition = ''
  if changesAlerting then
    transition = transitionOf(checkId, round, state, to, alertOn, detailJson, {firstFailed = firstFailed,
      lastFailed = lastFailed, goodBeforeFail = goodBeforeFail, firstBad = firstBad, lastBad = lastBad,
      okBeforeBad = okBeforeBad, recoveryStart = recoveryStart, okRecoveryStart = okRecoveryStart})
    redis.call('HSET', transitionsKey, checkId, transition)
  end
  return {f[2] or 'new', to, transition}
end

local replies = {}
for i = 0, (#KEYS - 1) / 4 - 1 do
  local a = 3 + 6 * i
  local k = 1 + 4 * i
  replies[i + 1] = apply(KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], ARGV[a + 1], ARGV[a + 2],
    tonumber(ARGV[a + 3]), ARGV[a + 4], ARGV[a + 5], ARGV[a + 6])
end
return replies
