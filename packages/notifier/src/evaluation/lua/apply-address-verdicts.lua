--[[
  Applies a batch of decided rounds' per-address verdicts (`allAddresses` checks), oldest first, each
  to its check's address states exactly once. An address is `down` once `confirmations` failed
  rounds come in a row, and back once as many rounds do not fail; before that it is `degraded`
  (failing, not confirmed; or failed by fewer vantages than the quorum), else `up`. An address the
  name no longer resolves to is forgotten ('gone' when it was down). Kept apart from the check's own
  state hash so that the result scripts stay as they are.

  A round of a check that alerts on addresses also writes its changes to the address outbox, in the
  same step, so a notifier dying before it acted on them loses none.

  Input:
    KEYS[1] address outbox: `<check>|<address>|<round>` → change JSON (with its check id)
    KEYS[2…] for each round in turn: its check's address states hash (address → state JSON;
      `~round`, the last round applied; `~events`, the latest address transitions, newest first)

    ARGV[1] now, epoch ms
    ARGV[2] how long an address states hash outlives its last round, ms
    ARGV[3…] for each round in turn, five: round (epoch ms); confirmations; the verdicts, JSON
      [[address, verdict ('ok', 'degraded' or 'fail'), failing vantages, counted, error or ''], …];
      check id; '1' when its changes go to the outbox, else '0'

  Output:
    One reply per round, in order: the JSON of each change of whether an address is down,
    { checkId, address, at, kind ('down', 'back' or 'gone'), round, since, failing, counted, error }; none for a
    round at or before the last one applied to its check.
]]
local outboxKey = KEYS[1]
local now = tonumber(ARGV[1])
local ttlMs = tonumber(ARGV[2])
-- The check's timeline of address transitions keeps this many (about 150 bytes each).
local EVENTS_KEPT = 10

local function judge(s, round, verdict, conf)
  local from = s.state
  if verdict == 'fail' then
    s.failStreak = s.failStreak + 1
    s.goodStreak = 0
    if s.failStreak == 1 then s.firstFailed = round end
  else
    s.goodStreak = s.goodStreak + 1
    s.failStreak = 0
    if s.goodStreak == 1 then s.firstGood = round end
  end
  local to
  if from == 'down' then
    if s.goodStreak >= conf then to = (verdict == 'ok') and 'up' or 'degraded' else to = 'down' end
  elseif verdict == 'fail' and s.failStreak >= conf then to = 'down'
  elseif verdict == 'ok' then to = 'up'
  else to = 'degraded' end
  if to ~= from then
    if to == 'down' then s.since = s.firstFailed
    elseif from == 'down' then s.since = s.firstGood
    else s.since = round end
  end
  s.state = to
  return from, to
end

local function apply(key, round, conf, verdicts, checkId, durable)
  -- One read of the whole (small) hash instead of a call per address.
  local flat = redis.call('HGETALL', key)
  local hash = {}
  for i = 1, #flat, 2 do hash[flat[i]] = flat[i + 1] end
  if round <= tonumber(hash['~round'] or '-1') then return {} end
  local changes = {}
  local seen = {}
  local fields = {'~round', round}
  for _, v in ipairs(verdicts) do
    local address = v[1]
    seen[address] = true
    local json = hash[address]
    local s = json and cjson.decode(json) or {state = 'new', failStreak = 0, goodStreak = 0}
    local from, to = judge(s, round, v[2], conf)
    s.failing = v[3]; s.counted = v[4]; s.lastRound = round
    if v[5] ~= '' then s.error = v[5] else s.error = nil end
    if (to == 'down') ~= (from == 'down') then
      changes[#changes + 1] = cjson.encode({checkId = checkId, address = address, at = now,
        kind = (to == 'down') and 'down' or 'back', round = round, since = s.since, failing = v[3], counted = v[4],
        error = s.error})
    end
    fields[#fields + 1] = address
    fields[#fields + 1] = cjson.encode(s)
  end
  if #verdicts > 0 then
    local absent = {}
    for address in pairs(hash) do
      if address:sub(1, 1) ~= '~' and not seen[address] then absent[#absent + 1] = address end
    end
    table.sort(absent)
    for _, address in ipairs(absent) do
      if cjson.decode(hash[address]).state == 'down' then
        changes[#changes + 1] = cjson.encode({checkId = checkId, address = address, at = now, kind = 'gone',
          round = round, since = round, failing = {}, counted = 0})
      end
      redis.call('HDEL', key, address)
    end
  end
  if durable then
    for _, change in ipairs(changes) do
      local c = cjson.decode(change)
      redis.call('HSET', outboxKey, checkId .. '|' .. c.address .. '|' .. round, change)
    end
  end
  if #changes > 0 then
    local events = cjson.decode(hash['~events'] or '[]')
    local kept = {}
    for i = #changes, 1, -1 do
      local event = cjson.decode(changes[i])
      event.checkId = nil; event.at = nil
      kept[#kept + 1] = event
    end
    for _, event in ipairs(events) do
      if #kept >= EVENTS_KEPT then break end
      kept[#kept + 1] = event
    end
    fields[#fields + 1] = '~events'
    fields[#fields + 1] = cjson.encode(kept)
  end
  redis.call('HSET', key, unpack(fields))
  redis.call('PEXPIRE', key, ttlMs)
  return changes
end

local replies = {}
for i = 2, #KEYS do
  local a = 2 + 5 * (i - 2)
  replies[i - 1] = apply(KEYS[i], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), cjson.decode(ARGV[a + 3]),
    ARGV[a + 4], ARGV[a + 5] == '1')
end
return replies
