--[[
  Records a batch of probe results, in order, each atomically and exactly once per (check, vantage,
  round): keeps the newest round as the vantage's latest, writes the result into the check's history
  ring and counts it in the vantage's day. All the bookkeeping lives in the check's latest hash, so a
  result costs one HMGET, one HSET and one SETRANGE (and an HGET when it carries a message).

  Input:
    KEYS[1] the first result's latest hash:
      `<vantage>` → latest ProbeResult JSON without checkId and vantage, `<vantage>:round` → its round,
      `<vantage>:rr` → rounds recorded before it within the remember window, as ms before it,
      comma-separated (idempotency), `<vantage>:u` / `<vantage>:y` → `day:ok:total` of its latest UTC
      day and of the day before (days since the epoch), `<vantage>:i` → the vantage's index in history
      entries, `~n` → the last index given, `<vantage>:m` → the message slot it used last;
      the ring's `~h` entries written, `~c` cap, `~b` base round; `~m<slot>` → `<entry>|<message>`,
      `~mn` → the slot used last; `~x` when some vantage's entries went to the list (index > 15)
    KEYS[2…] then its history ring (string of 10-byte entries, see history-ring.ts) and its history
      list (packed or JSON entries from before the ring: read until the ring is full, then deleted);
      then the same three keys for each further result, in turn

    ARGV[1] history length cap
    ARGV[2…] for each result in turn, eight: vantage; round (epoch ms); remember window (ms); latest
      JSON; the entry's outcome bytes (5, from history-ring.ts); its message for history ('' for
      none); its UTC day (days since the epoch); 1 when the result is ok, 0 when not

  Output:
    One reply per result, in order:
    0 a duplicate, nothing recorded
    1 recorded, and the vantage's latest now
    2 recorded, but older than the vantage's latest
]]
if not KEYS[1] or #KEYS % 3 ~= 0 then return redis.error_reply('expected three keys per result') end
local cap = tonumber(ARGV[1])
local ENTRY = 10
local SLOTS = 7
local MAX_INDEX = 15
-- Round deltas are 33 bits of ms (~99 days); a new base leaves a day for late results.
local SPAN = 8589934592
local MARGIN = 86400000

local function bytes5(n)
  local out = {}
  for i = 5, 1, -1 do
    local b = n % 256
    out[i] = b
    n = (n - b) / 256
  end
  return string.char(out[1], out[2], out[3], out[4], out[5])
end

local function head5(s, at)
  local a, b, c, d, e = string.byte(s, at, at + 4)
  if not e then return 0 end
  return (((a * 256 + b) * 256 + c) * 256 + d) * 256 + e
end

-- Rewrites the ring for a new cap and/or base (`shift` ms added to every round delta), the newest
-- entries first in line from byte 0; entries that no longer fit are dropped. Message slots follow
-- their entries' new numbers. Returns how many entries it holds now.
local function relayout(latestKey, ringKey, written, oldCap, shift)
  local old = redis.call('GET', ringKey) or ''
  local keep = math.min(written, oldCap, cap)
  local parts = {}
  for e = written - keep, written - 1 do
    local at = (e % oldCap) * ENTRY + 1
    local head = head5(old, at)
    local delta = math.floor(head / 128) + shift
    if head > 0 and delta >= 0 and delta < SPAN then
      parts[#parts + 1] = bytes5(delta * 128 + head % 128) .. string.sub(old, at + 5, at + 9)
    else
      parts[#parts + 1] = string.rep('\0', ENTRY)
    end
  end
  redis.call('SET', ringKey, table.concat(parts) .. string.rep('\0', (cap - keep) * ENTRY))
  local back = written - keep
  local fields = {}
  for slot = 1, SLOTS do
    local held = redis.call('HGET', latestKey, '~m' .. slot)
    if held then
      local bar = string.find(held, '|', 1, true)
      fields[#fields + 1] = '~m' .. slot
      fields[#fields + 1] = (tonumber(string.sub(held, 1, bar - 1)) - back) .. string.sub(held, bar)
    end
  end
  if #fields > 0 then redis.call('HSET', latestKey, unpack(fields)) end
  return keep
end

-- `day:ok:total` counts, one result more.
local function counted(day, ok, total, isOk)
  return day .. ':' .. (ok + (isOk and 1 or 0)) .. ':' .. (total + 1)
end

local function parseDay(value)
  if not value then return nil end
  local day, ok, total = string.match(value, '^(%d+):(%d+):(%d+)$')
  return tonumber(day), tonumber(ok), tonumber(total)
end

local function record(latestKey, ringKey, listKey, vantage, roundArg, rememberMs, json, outcome, message, day, isOk)
  local round = tonumber(roundArg)
  local f = redis.call('HMGET', latestKey, vantage .. ':round', vantage .. ':rr', vantage .. ':i', vantage .. ':u',
    vantage .. ':m', '~h', '~c', '~b', '~n', '~mn', '~x')
  local set = {}
  local function put(field, value)
    set[#set + 1] = field
    set[#set + 1] = value
  end

  -- Exactly once: the vantage's latest round, and the rounds before it within the window.
  local latestRound = tonumber(f[1])
  local recent = f[2] or ''
  local reply = 1
  if latestRound then
    if round == latestRound then return 0 end
    if round < latestRound then
      local ago = latestRound - round
      if ago <= rememberMs then
        if string.find(',' .. recent .. ',', ',' .. ago .. ',', 1, true) then return 0 end
        if recent == '' then recent = tostring(ago) else recent = recent .. ',' .. ago end
      end
      reply = 2
    else
      local moved = round - latestRound
      local kept = {}
      if moved <= rememberMs then kept[1] = moved end
      for ago in string.gmatch(recent, '%d+') do
        local n = tonumber(ago) + moved
        if n <= rememberMs then kept[#kept + 1] = n end
      end
      recent = table.concat(kept, ',')
    end
  end
  if reply == 1 then
    put(vantage, json)
    put(vantage .. ':round', roundArg)
  end
  put(vantage .. ':rr', recent)

  -- The vantage's results of its latest UTC day and of the day before.
  local uDay, uOk, uTotal = parseDay(f[4])
  if uDay == day then
    put(vantage .. ':u', counted(day, uOk, uTotal, isOk))
  elseif not uDay or day > uDay then
    if uDay == day - 1 then put(vantage .. ':y', f[4]) end
    put(vantage .. ':u', counted(day, 0, 0, isOk))
  elseif day == uDay - 1 then
    local yDay, yOk, yTotal = parseDay(redis.call('HGET', latestKey, vantage .. ':y'))
    if yDay ~= day then yOk, yTotal = 0, 0 end
    put(vantage .. ':y', counted(day, yOk, yTotal, isOk))
  end

  -- History: the vantage's index, then its entry in the ring (past 15 vantages, JSON in the list).
  local index = tonumber(f[3])
  if not index then
    index = tonumber(f[9] or '0') + 1
    put(vantage .. ':i', index)
    put('~n', index)
  end
  if index > MAX_INDEX then
    redis.call('LPUSH', listKey, '{"vantage":' .. cjson.encode(vantage) .. ',' .. string.sub(json, 2))
    redis.call('LTRIM', listKey, 0, cap - 1)
    put('~x', 1)
  else
    local written = tonumber(f[6] or '0')
    local ringCap = tonumber(f[7] or cap)
    local base = tonumber(f[8])
    if not base then
      base = math.max(0, round - MARGIN)
      put('~b', base)
    end
    if ringCap ~= cap then
      if written > 0 then written = relayout(latestKey, ringKey, written, ringCap, 0) end
    end
    if ringCap ~= cap or not f[7] then put('~c', cap) end
    if round - base >= SPAN then
      local newBase = round - SPAN / 2
      written = relayout(latestKey, ringKey, written, cap, base - newBase)
      base = newBase
      put('~b', base)
    end
    local delta = round - base
    if delta >= 0 then
      local slot = 0
      if message ~= '' then
        local last = tonumber(f[5])
        if last then
          local held = redis.call('HGET', latestKey, '~m' .. last)
          if held and string.sub(held, (string.find(held, '|', 1, true) or 0) + 1) == message then slot = last end
        end
        if slot == 0 then
          slot = tonumber(f[10] or '0') % SLOTS + 1
          put('~m' .. slot, written .. '|' .. message)
          put('~mn', slot)
          put(vantage .. ':m', slot)
        end
      end
      -- The ring is made whole at its first entry: grown entry by entry, Redis would allocate twice its size.
      if written == 0 then redis.call('SETRANGE', ringKey, cap * ENTRY - 1, '\0') end
      redis.call('SETRANGE', ringKey, (written % cap) * ENTRY, bytes5(delta * 128 + index * 8 + slot) .. outcome)
      written = written + 1
      put('~h', written)
      if written == cap and not f[11] then redis.call('DEL', listKey) end
    end
  end
  redis.call('HSET', latestKey, unpack(set))
  return reply
end

local replies = {}
for i = 0, #KEYS / 3 - 1 do
  local k = 3 * i
  local a = 1 + 8 * i
  replies[i + 1] = record(KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3]),
    ARGV[a + 4], ARGV[a + 5], ARGV[a + 6], tonumber(ARGV[a + 7]), ARGV[a + 8] == '1')
end
return replies
