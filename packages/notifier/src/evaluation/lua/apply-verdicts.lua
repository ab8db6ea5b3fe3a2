--[[
  Applies a batch of decided rounds, oldest first, each to its check's state machine in order and
  exactly once. A change of whether a check is alerting is also written to the transitions outbox
  the incident side drains, in the same step, so a crash between the two loses nothing. Each
  applied round is counted once in its UTC hour's verdicts, and so in its day's: in the state's
  `hourCounts` while its hour is the newest (written by the HSET the round makes anyway), put into
  the hour ring by the first round of a later hour (`count`; an hour is added to the day ring when
  the next one is put in). Readers add `hourCounts` to the rings (core's results/verdict-ring.ts).
  Its round book was deleted, and `~a` in the latest hash set, when the round was claimed (core's
  includes/book-outcome.lua): the state's `lastRound` here turns away a round applied out of order.
  The state's `lastGoodRound` and `lastOkRound` are written when their streak ends, here or by
  mark-blind.lua: while it runs they are `lastRound` (readers: check-state.ts's withStreakRounds).

  Input:
    KEYS[1] transitions outbox: check id → transition JSON
    KEYS[2…] for each round in turn: its check's state hash, then its verdict rings by UTC day and by
      UTC hour (strings: a slot per period of the three counts; see core's results/verdict-ring.ts;
      bit 31 of the hour ring's header: its newest hour is not in the day ring yet)

    ARGV[1] now, epoch ms
    ARGV[2] how long a day ring lives without a new day, s (its 91 days)
    ARGV[3] how long an hour ring lives without a new hour, s: both rings live the longer of the
      two (the hour ring alone holds its newest hour's counts until a newer hour adds them to the
      day ring, so it lives as long as the day ring)
    ARGV[4…] for each round in turn, six: round (epoch ms, an integer's decimal text: the state
      stores it as sent); verdict ('ok', 'degraded' or 'fail');
      confirmations (rounds in a row that change the state); check id; RoundDetail JSON; alert on
      ('down' or 'degraded')

  Output:
    One reply per round, in order:
    {} for a round at or before the last one applied to its check
    state, a string, for a round that left its check in its state (most: a string replies for less
      than a table)
    {from, to, transitionJson} else: transitionJson '' when whether the check alerts did not change
]]
local transitionsKey = KEYS[1]
local now = tonumber(ARGV[1])
local ringTtlS = math.max(tonumber(ARGV[2]), tonumber(ARGV[3]))
local COUNTER = { ok = 0, degraded = 1, fail = 2 }
-- Globals as locals: a global is a table lookup each time, and a round reads these several times.
local redis, math, tonumber, unpack = redis, math, tonumber, unpack

-- Number ↔ text was ~10 % of Redis's CPU in a profile of these scripts (`tonumber` of 13 digits
-- takes strtod's slow path; Redis writes a number argument with %.17g): a batch's rounds and
-- streaks repeat a few values, so each text is converted once a call, and what Redis stores is
-- passed as text.
local NUM, TEXT = {}, {}
local function num(s)
  local n = NUM[s]
  if n == nil then
    n = tonumber(s)
    if n then NUM[s] = n end
  end
  return n
end

-- An integer's text as Redis would write it (%.17g is %d for one); anything else is left to Redis.
local function text(n)
  local s = TEXT[n]
  if s then return s end
  if n ~= n or n % 1 ~= 0 then return n end
  s = string.format('%d', n)
  TEXT[n] = s
  return s
end

-- Verdict rings (core's results/verdict-ring.ts): a u32 header, the newest period counted, then
-- `slots` slots (period mod slots) of three `width`-bit counters (ok, degraded, fail). An hour is
-- put in the hour ring only: bit 31 of the hour ring's header (FOLDED) says the day ring holds
-- every hour before the hour ring's newest, which is added to the day ring when a newer hour is put
-- in. An hour ring without it (written before) is converted at its next hour: until then its hours
-- are counted in both rings, as before. The rounds of a check's latest hour are counted in its
-- state (`hourCounts`, `<hour>|<counts packed>`, see `countHour`) and put in the rings at once by
-- the first round of a later hour: a BITFIELD a round was ~1 µs of Redis plus its call (issue 13).
local HOUR_MS, DAY_MS = 3600000, 86400000
local HOUR_SLOTS, HOUR_WIDTH, DAY_SLOTS, DAY_WIDTH = 26, 12, 91, 17
local FOLDED = 2147483648
local ONE = { ok = { 1, 0, 0 }, degraded = { 0, 1, 0 }, fail = { 0, 0, 1 } }

-- The BITFIELD arguments that make `period` a ring's newest: header `head`, the slots from the one
-- after `newest` to `period`'s zeroed (`period`'s included), appended to `args`.
local function renew(args, newest, period, slots, width, head)
  local n = #args
  args[n + 1] = 'SET'; args[n + 2] = 'u32'; args[n + 3] = 0; args[n + 4] = head
  local counter = 'u' .. width
  for p = math.max(newest + 1, period - slots + 1), period do
    local slot = 32 + (p % slots) * 3 * width
    for c = 0, 2 do
      n = #args
      args[n + 1] = 'SET'; args[n + 2] = counter; args[n + 3] = slot + c * width; args[n + 4] = 0
    end
  end
end

-- A ring string made at full length (one allocation, never grown), for a ring without a period yet.
local function make(key, slots, width)
  redis.call('SET', key, string.rep('\0', math.ceil((32 + slots * 3 * width) / 8)))
end

-- Adds `amounts` (ok, degraded, fail) to `period` in the day ring. One BITFIELD reads the newest
-- period and adds: right for the newest period or one the ring still keeps. A newer period zeroes
-- the slots it passes, adds again and renews the TTL; a period the ring no longer keeps takes its
-- amounts back.
local function addDay(key, period, ttlS, amounts)
  local counter = 'u' .. DAY_WIDTH
  local slot = 32 + (period % DAY_SLOTS) * 3 * DAY_WIDTH
  local adds = {}
  for c = 1, 3 do
    if amounts[c] > 0 then
      local n = #adds
      adds[n + 1] = 'INCRBY'; adds[n + 2] = counter; adds[n + 3] = slot + (c - 1) * DAY_WIDTH; adds[n + 4] = amounts[c]
    end
  end
  if #adds == 0 then return end
  local newest = redis.call('BITFIELD', key, 'GET', 'u32', 0, 'OVERFLOW', 'SAT', unpack(adds))[1]
  if period <= newest then
    if period <= newest - DAY_SLOTS then
      for i = 4, #adds, 4 do adds[i] = -adds[i] end
      redis.call('BITFIELD', key, 'OVERFLOW', 'SAT', unpack(adds))
    end
    return
  end
  if newest == 0 then
    make(key, DAY_SLOTS, DAY_WIDTH)
    newest = period - 1
  end
  local args = {}
  renew(args, newest, period, DAY_SLOTS, DAY_WIDTH, period)
  args[#args + 1] = 'OVERFLOW'; args[#args + 1] = 'SAT'
  for i = 1, #adds do args[#args + 1] = adds[i] end
  redis.call('BITFIELD', key, unpack(args))
  redis.call('EXPIRE', key, ttlS)
end

-- Adds `amounts` (ok, degraded, fail) to `hour` in the rings: one BITFIELD on the hour ring reads
-- its header and adds, the whole work for its newest hour of a converted ring. A newer hour adds the
-- newest one's counts to the day ring, zeroes the slots it passes, adds again and renews the TTL (a
-- day ring's: the hour ring alone holds its newest hour). An older hour (or any of a ring not yet
-- converted) is added to the day ring too, and taken back from an hour ring that no longer keeps it.
local function count(dayKey, hourKey, ttlS, hour, amounts)
  local slot = 32 + (hour % HOUR_SLOTS) * 3 * HOUR_WIDTH
  local adds = {}
  for c = 1, 3 do
    if amounts[c] > 0 then
      local n = #adds
      adds[n + 1] = 'INCRBY'; adds[n + 2] = 'u12'; adds[n + 3] = slot + (c - 1) * HOUR_WIDTH; adds[n + 4] = amounts[c]
    end
  end
  if #adds == 0 then return end
  local head = redis.call('BITFIELD', hourKey, 'GET', 'u32', '0', 'OVERFLOW', 'SAT', unpack(adds))[1]
  local folded = head >= FOLDED
  local newest = folded and head - FOLDED or head
  if hour == newest and folded then return end
  if hour <= newest then
    if hour <= newest - HOUR_SLOTS then
      for i = 4, #adds, 4 do adds[i] = -adds[i] end
      redis.call('BITFIELD', hourKey, 'OVERFLOW', 'SAT', unpack(adds))
    end
    addDay(dayKey, math.floor(hour * HOUR_MS / DAY_MS), ttlS, amounts)
    return
  end
  local args = {}
  if newest == 0 then
    make(hourKey, HOUR_SLOTS, HOUR_WIDTH)
    newest = hour - 1
    folded = false
  else
    local was = 32 + (newest % HOUR_SLOTS) * 3 * HOUR_WIDTH
    args = { 'GET', 'u12', was, 'GET', 'u12', was + HOUR_WIDTH, 'GET', 'u12', was + 2 * HOUR_WIDTH }
  end
  renew(args, newest, hour, HOUR_SLOTS, HOUR_WIDTH, hour + FOLDED)
  for i = 1, #adds do args[#args + 1] = adds[i] end
  local got = redis.call('BITFIELD', hourKey, unpack(args))
  redis.call('EXPIRE', hourKey, ttlS)
  -- Converted already: the newest hour goes to the day ring (less this hour's amounts, added in its
  -- slot above when the two hours share it). A ring written before counted its hours in both.
  if folded then
    local was = { got[1], got[2], got[3] }
    if (hour - newest) % HOUR_SLOTS == 0 then
      for c = 1, 3 do was[c] = was[c] - amounts[c] end
    end
    addDay(dayKey, math.floor(newest * HOUR_MS / DAY_MS), ttlS, was)
  end
end

-- The state's `hourCounts` after a round of `hour` with verdict `v`: `<hour>|<counts>`, the counts
-- packed in one integer (ok + 2^16 × degraded + 2^32 × fail: an hour has at most 3,600 rounds), so a
-- round of the same hour adds its verdict's weight to one number. A round of a later hour puts the
-- field's counts in the rings and starts its own. A state without the field (a new check, or one
-- last applied by the release before, which counted in the rings directly) starts it: readers add
-- it to the rings, so nothing is counted twice. An hour older than the field's (never: rounds are
-- applied in order) is counted in the rings directly.
local WEIGHT = { ok = 1, degraded = 65536, fail = 4294967296 }
local HOUR_PREFIX = {}
-- A batch's checks mostly hold the same field (every round of the hour ok, or the same few not):
-- the field a round of its hour leaves is worked out once a call for each field and verdict, not
-- parsed and written anew each round (~4 % of redis-server's CPU in bench/apply-verdicts-ab.ts).
local NEXT_FIELD, FIELD_HOUR = { ok = {}, degraded = {}, fail = {} }, {}

local function countHour(dayKey, hourKey, ttlS, hour, v, field)
  local next = field and NEXT_FIELD[v][field]
  if next and FIELD_HOUR[field] == hour then return next end
  local prefix = HOUR_PREFIX[hour]
  if not prefix then
    prefix = text(hour) .. '|'
    HOUR_PREFIX[hour] = prefix
  end
  if field then
    if string.find(field, prefix, 1, true) == 1 then
      local packed = tonumber(string.sub(field, #prefix + 1))
      if packed then
        next = prefix .. text(packed + WEIGHT[v])
        NEXT_FIELD[v][field] = next
        FIELD_HOUR[field] = hour
        return next
      end
    end
    local bar = string.find(field, '|', 1, true)
    local h = bar and tonumber(string.sub(field, 1, bar - 1))
    local packed = bar and tonumber(string.sub(field, bar + 1))
    if h and packed then
      if h > hour then
        count(dayKey, hourKey, ttlS, hour, ONE[v])
        return nil
      end
      local fail = math.floor(packed / 4294967296)
      local degraded = math.floor(packed / 65536) % 65536
      count(dayKey, hourKey, ttlS, h, { packed % 65536, degraded, fail })
    end
  end
  return prefix .. WEIGHT[v]
end

-- Functions at the top, not per round: a closure made per round costs Lua more than a Redis call.
local function alerting(s, alertOn)
  return s == 'down' or (alertOn == 'degraded' and s == 'degraded')
end

-- The round's HSET field-value pairs in `F` (its first `nf`), the fields to HDEL in `C` (its first
-- `nc`): two tables for all rounds, not two a round.
local F, C, nf, nc = {}, {}, 0, 0

local function put(name, value)
  F[nf + 1] = name
  F[nf + 2] = value
  nf = nf + 2
end

-- A field whose value changed is put, one without a value that had one cleared; one unchanged is not
-- written (every field but `state` holds a number).
local function set(name, value, before)
  if value then
    if before and num(before) == num(value) then return end
    put(name, value)
  elseif before then
    nc = nc + 1
    C[nc] = name
  end
end

-- A streak: `n` now, `before` its text in the hash.
local function setStreak(name, n, before)
  if before and num(before) == n then return end
  put(name, text(n))
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
-- transition carries them). Any other round only sets those it is the new value of. While a good or
-- ok streak runs its last round is `lastRound`, so `lastGoodRound` and `lastOkRound` are not written
-- each round but when the streak ends (here, or when mark-blind.lua zeroes it): their stored value
-- counts only while its streak is 0 (a hash written before holds `lastRound` there, the same).
-- Rewriting both each round was ~5 % of redis-server's CPU in bench/apply-verdicts-ab.ts.
-- A streak zeroed without its end written (by mark-blind.lua of the release before this one, during
-- a rolling upgrade) left its last round older than the streak's start, or none: it ran until
-- `lastRound` (a blind spot changes no round), as a streak ended by this round did. (A field HMGET
-- did not find is false.)
local function unwritten(last, streakStart)
  if not streakStart then return false end
  return not last or num(last) < num(streakStart)
end

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

-- One reply for every round too late (Redis only reads it).
local TOO_LATE = {}

local function apply(stateKey, dayKey, hourKey, roundArg, v, conf, checkId, detailJson, alertOn)
  local f = redis.call('HMGET', stateKey, 'lastRound', 'state', 'failStreak', 'goodStreak', 'okStreak', 'badStreak',
    'detail', 'hourCounts')
  local round = num(roundArg)
  if round <= num(f[1] or '-1') then return TOO_LATE end
  local state = f[2] or 'new'
  -- Blind while alerting: its incident is still open, so it resumes there and recovers as usual.
  if state == 'unknown' then
    local blindFrom = redis.call('HGET', stateKey, 'blindFrom')
    if blindFrom and alerting(blindFrom, alertOn) then state = blindFrom end
  end
  local failStreak, goodStreak, okStreak, badStreak = num(f[3] or '0'), num(f[4] or '0'), num(f[5] or '0'), num(f[6] or '0')
  local wasGood, wasOk = goodStreak > 0, okStreak > 0
  if v == 'fail' then failStreak = failStreak + 1; goodStreak = 0 else goodStreak = goodStreak + 1; failStreak = 0 end
  if v == 'ok' then okStreak = okStreak + 1; badStreak = 0 else badStreak = badStreak + 1; okStreak = 0 end
  local to = nextState(state, v, conf, failStreak, goodStreak, okStreak, badStreak)
  local changesAlerting = alerting(to, alertOn) ~= alerting(state, alertOn)
  -- One HSET for the fields that changed, one HDEL for those without a value that had one. The
  -- round's verdict and detail are not kept (nothing read them; the detail JSON of a failing round
  -- kept the hash out of Redis's compact encoding): a hash written before loses them here.
  nf, nc = 0, 0
  put('lastRound', roundArg)
  if f[7] then C[1] = 'detail'; C[2] = 'lastVerdict'; nc = 2 end
  if to ~= f[2] then put('state', to) end
  if to ~= (f[2] or 'new') then put('since', roundArg) end
  setStreak('failStreak', failStreak, f[3])
  setStreak('goodStreak', goodStreak, f[4])
  setStreak('okStreak', okStreak, f[5])
  setStreak('badStreak', badStreak, f[6])
  local x = NOTHING_READ
  if changesAlerting or failStreak == 1 or badStreak == 1 then x = redis.call('HMGET', stateKey, unpack(KEPT)) end
  local firstFailed, lastFailed, firstBad, lastBad, lastGood, lastOk = x[1], x[2], x[3], x[4], x[5], x[6]
  local goodBeforeFail, okBeforeBad, recoveryStart, okRecoveryStart = x[7], x[8], x[9], x[10]
  if v == 'fail' then
    if failStreak == 1 then
      if wasGood or unwritten(lastGood, recoveryStart) then
        set('lastGoodRound', f[1], lastGood)
        lastGood = f[1]
      end
      firstFailed = roundArg
      put('firstFailedRound', roundArg)
      set('goodBeforeFail', lastGood, goodBeforeFail)
      goodBeforeFail = lastGood
    end
    lastFailed = roundArg
    put('lastFailedRound', roundArg)
  else
    if goodStreak == 1 then recoveryStart = roundArg; put('recoveryStart', roundArg) end
  end
  if v == 'ok' then
    if okStreak == 1 then okRecoveryStart = roundArg; put('okRecoveryStart', roundArg) end
  else
    if badStreak == 1 then
      if wasOk or unwritten(lastOk, okRecoveryStart) then
        set('lastOkRound', f[1], lastOk)
        lastOk = f[1]
      end
      firstBad = roundArg
      put('firstBadRound', roundArg)
      set('okBeforeBad', lastOk, okBeforeBad)
      okBeforeBad = lastOk
    end
    lastBad = roundArg
    put('lastBadRound', roundArg)
  end
  local hourCounts = countHour(dayKey, hourKey, ringTtlS, math.floor(round / HOUR_MS), v, f[8])
  if hourCounts then put('hourCounts', hourCounts) end
  redis.call('HSET', stateKey, unpack(F, 1, nf))
  if nc > 0 then redis.call('HDEL', stateKey, unpack(C, 1, nc)) end
  if not changesAlerting then
    local from = f[2] or 'new'
    if from ~= to then return {from, to, ''} end
    return to
  end
  local transition = transitionOf(checkId, round, state, to, alertOn, detailJson, {firstFailed = firstFailed,
    lastFailed = lastFailed, goodBeforeFail = goodBeforeFail, firstBad = firstBad, lastBad = lastBad,
    okBeforeBad = okBeforeBad, recoveryStart = recoveryStart, okRecoveryStart = okRecoveryStart})
  redis.call('HSET', transitionsKey, checkId, transition)
  return {f[2] or 'new', to, transition}
end

local replies = {}
for i = 0, (#KEYS - 1) / 3 - 1 do
  local a = 3 + 6 * i
  local k = 1 + 3 * i
  replies[i + 1] = apply(KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], ARGV[a + 1], ARGV[a + 2],
    num(ARGV[a + 3]), ARGV[a + 4], ARGV[a + 5], ARGV[a + 6])
end
return replies
