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

-- A field with a value goes in `fields` (one HSET), one without that had one in `cleared` (one HDEL).
local function set(fields, cleared, name, value, before)
  if value then
    fields[#fields + 1] = name
    fields[#fields + 1] = value
  elseif before then
    cleared[#cleared + 1] = name
  end
end

local function apply(stateKey, dayKey, hourKey, latestKey, roundArg, v, conf, checkId, detailJson, alertOn)
  local round = tonumber(roundArg)
  local f = redis.call('HMGET', stateKey, 'lastRound', 'state', 'failStreak', 'goodStreak', 'okStreak', 'badStreak',
    'firstFailedRound', 'lastFailedRound', 'firstBadRound', 'lastBadRound', 'lastGoodRound', 'lastOkRound',
    'goodBeforeFail', 'okBeforeBad', 'recoveryStart', 'okRecoveryStart', 'blindFrom', 'detail')
  redis.call('HDEL', latestKey, '~b' .. roundArg)
  if round <= tonumber(f[1] or '-1') then return {} end
  redis.call('HSET', latestKey, '~a', roundArg)
  local state = f[2] or 'new'
  -- Blind while alerting: its incident is still open, so it resumes there and recovers as usual.
  if state == 'unknown' and f[17] and alerting(f[17], alertOn) then state = f[17] end
  local failStreak, goodStreak, okStreak, badStreak = tonumber(f[3] or '0'), tonumber(f[4] or '0'), tonumber(f[5] or '0'), tonumber(f[6] or '0')
  local firstFailed, lastFailed, firstBad, lastBad = f[7], f[8], f[9], f[10]
  local lastGood, lastOk, goodBeforeFail, okBeforeBad, recoveryStart, okRecoveryStart = f[11], f[12], f[13], f[14], f[15], f[16]
  if v == 'fail' then
    failStreak = failStreak + 1
    if failStreak == 1 then firstFailed = round; goodBeforeFail = lastGood or false end
    lastFailed = round
    goodStreak = 0
  else
    goodStreak = goodStreak + 1
    if goodStreak == 1 then recoveryStart = round end
    lastGood = round
    failStreak = 0
  end
  if v == 'ok' then
    okStreak = okStreak + 1
    if okStreak == 1 then okRecoveryStart = round end
    lastOk = round
    badStreak = 0
  else
    badStreak = badStreak + 1
    if badStreak == 1 then firstBad = round; okBeforeBad = lastOk or false end
    lastBad = round
    okStreak = 0
  end
  local to = state
  if v == 'fail' then
    if failStreak >= conf then to = 'down' end
  elseif state == 'down' then
    if goodStreak >= conf then if v == 'ok' then to = 'up' else to = 'degraded' end end
  elseif state == 'new' or state == 'unknown' then
    if v == 'ok' then to = 'up' elseif badStreak >= conf then to = 'degraded' end
  elseif state == 'up' then
    if badStreak >= conf then to = 'degraded' end
  elseif state == 'degraded' then
    if okStreak >= conf then to = 'up' end
  end
  -- One HSET for every field with a value, one HDEL for those without that had one.
  -- The round's verdict and detail are not kept (nothing read them; the detail JSON of a failing
  -- round kept the hash out of Redis's compact encoding): a hash written before loses them here.
  local fields = {'lastRound', round, 'state', to, 'failStreak', failStreak, 'goodStreak', goodStreak,
    'okStreak', okStreak, 'badStreak', badStreak}
  local cleared = {}
  if f[18] then cleared[1] = 'detail'; cleared[2] = 'lastVerdict' end
  set(fields, cleared, 'firstFailedRound', firstFailed, f[7])
  set(fields, cleared, 'lastFailedRound', lastFailed, f[8])
  set(fields, cleared, 'firstBadRound', firstBad, f[9])
  set(fields, cleared, 'lastBadRound', lastBad, f[10])
  set(fields, cleared, 'lastGoodRound', lastGood, f[11])
  set(fields, cleared, 'lastOkRound', lastOk, f[12])
  set(fields, cleared, 'goodBeforeFail', goodBeforeFail, f[13])
  set(fields, cleared, 'okBeforeBad', okBeforeBad, f[14])
  set(fields, cleared, 'recoveryStart', recoveryStart, f[15])
  set(fields, cleared, 'okRecoveryStart', okRecoveryStart, f[16])
  if to ~= (f[2] or 'new') then set(fields, cleared, 'since', round) end
  redis.call('HSET', stateKey, unpack(fields))
  if #cleared > 0 then redis.call('HDEL', stateKey, unpack(cleared)) end
  count(dayKey, 86400000, 91, 17, dayTtlS, round, v)
  count(hourKey, 3600000, 26, 12, hourTtlS, round, v)
  local transition = ''
  if alerting(to, alertOn) ~= alerting(state, alertOn) then
    local t = {checkId = checkId, at = now, round = round, from = state, to = to, detail = cjson.decode(detailJson)}
    if alerting(to, alertOn) then
      t.kind = 'alert'
      if to == 'down' then
        t.firstFailedRound = tonumber(firstFailed); t.lastFailedRound = tonumber(lastFailed)
        if goodBeforeFail then t.lastGoodBefore = tonumber(goodBeforeFail) end
      else
        t.firstFailedRound = tonumber(firstBad); t.lastFailedRound = tonumber(lastBad)
        if okBeforeBad then t.lastGoodBefore = tonumber(okBeforeBad) end
      end
    else
      t.kind = 'recover'
      if state == 'down' then
        t.firstGoodAfter = tonumber(recoveryStart); t.lastFailedRound = tonumber(lastFailed)
      else
        t.firstGoodAfter = tonumber(okRecoveryStart); t.lastFailedRound = tonumber(lastBad)
      end
    end
    transition = cjson.encode(t)
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
