--[[
  Records a batch of probe results, in order, each atomically and exactly once per (check, vantage,
  round): keeps the newest round as the vantage's latest, writes the result into the check's history
  ring and counts it in the vantage's day. The bookkeeping is two packed fields of the check's latest
  hash, so a result costs one HMGET, one HSET and one SETRANGE (and an HGET when it carries a message);
  few small fields keep the hash quick to search.

  Input:
    KEYS[1] the first result's latest hash:
      `<vantage>` → latest ProbeResult JSON without checkId and vantage; `<vantage>:k` → the vantage's
      book, `round|recent|index|slot|day|dayBefore`: its latest round; the rounds recorded before it
      within the remember window, as ms before it, comma-separated (idempotency); its index in history
      entries; the message slot it used last; `day:ok:total` of its latest UTC day and of the day before
      (days since the epoch); `~r` → the ring's book, `written|cap|base|lastIndex|lastSlot`; `~m<slot>`
      → `<entry>|<message>`; `~x` when some vantage's entries went to the list (index > 15). A latest
      hash from before the books (`<vantage>:round`, `<vantage>:i`, `~n`) is moved into them.
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

local function split(value, count)
  local parts = {}
  for part in string.gmatch((value or '') .. '|', '([^|]*)|') do parts[#parts + 1] = part end
  for i = #parts + 1, count do parts[i] = '' end
  return parts
end

local function record(latestKey, ringKey, listKey, vantage, roundArg, rememberMs, json, outcome, message, day, isOk)
  local round = tonumber(roundArg)
  local bookField = vantage .. ':k'
  local f = redis.call('HMGET', latestKey, bookField, '~r')
  -- The vantage's book: round | recent | index | message slot | day counts | the day before's.
  local book = split(f[1], 6)
  -- The ring's: entries written | cap | base | last vantage index given | last message slot used.
  local ringBook = split(f[2], 5)
  local set = {}
  local migrated = false
  if not f[1] then
    -- First result since the book was packed: the fields an older version kept, if any.
    local old = redis.call('HMGET', latestKey, vantage .. ':round', vantage .. ':i', '~n')
    if old[1] then
      book[1] = old[1]
      book[3] = old[2] or ''
      migrated = true
    end
    if ringBook[4] == '' and old[3] then ringBook[4] = old[3] end
  end

  -- Exactly once: the vantage's latest round, and the rounds before it within the window.
  local latestRound = tonumber(book[1])
  local recent = book[2]
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
    set[1] = vantage
    set[2] = json
    book[1] = roundArg
  end
  book[2] = recent

  -- The vantage's results of its latest UTC day and of the day before.
  local uDay, uOk, uTotal = parseDay(book[5])
  if uDay == day then
    book[5] = counted(day, uOk, uTotal, isOk)
  elseif not uDay or day > uDay then
    if uDay == day - 1 then book[6] = book[5] else book[6] = '' end
    book[5] = counted(day, 0, 0, isOk)
  elseif day == uDay - 1 then
    local yDay, yOk, yTotal = parseDay(book[6])
    if yDay ~= day then yOk, yTotal = 0, 0 end
    book[6] = counted(day, yOk, yTotal, isOk)
  end

  -- History: the vantage's index, then its entry in the ring (past 15 vantages, JSON in the list).
  local index = tonumber(book[3])
  if not index then
    index = tonumber(ringBook[4]) or 0
    index = index + 1
    book[3] = index
    ringBook[4] = index
  end
  if index > MAX_INDEX then
    redis.call('LPUSH', listKey, '{"vantage":' .. cjson.encode(vantage) .. ',' .. string.sub(json, 2))
    redis.call('LTRIM', listKey, 0, cap - 1)
    set[#set + 1] = '~x'
    set[#set + 1] = 1
  else
    local written = tonumber(ringBook[1]) or 0
    local ringCap = tonumber(ringBook[2]) or cap
    local base = tonumber(ringBook[3])
    if not base then base = math.max(0, round - MARGIN) end
    if ringCap ~= cap and written > 0 then written = relayout(latestKey, ringKey, written, ringCap, 0) end
    if round - base >= SPAN then
      local newBase = round - SPAN / 2
      written = relayout(latestKey, ringKey, written, cap, base - newBase)
      base = newBase
    end
    local delta = round - base
    if delta >= 0 then
      local slot = 0
      if message ~= '' then
        local last = tonumber(book[4])
        if last then
          local held = redis.call('HGET', latestKey, '~m' .. last)
          if held and string.sub(held, (string.find(held, '|', 1, true) or 0) + 1) == message then slot = last end
        end
        if slot == 0 then
          slot = (tonumber(ringBook[5]) or 0) % SLOTS + 1
          set[#set + 1] = '~m' .. slot
          set[#set + 1] = written .. '|' .. message
          ringBook[5] = slot
          book[4] = slot
        end
      end
      -- The ring is made whole at its first entry: grown entry by entry, Redis would allocate twice its size.
      if written == 0 then redis.call('SETRANGE', ringKey, cap * ENTRY - 1, '\0') end
      redis.call('SETRANGE', ringKey, (written % cap) * ENTRY, bytes5(delta * 128 + index * 8 + slot) .. outcome)
      written = written + 1
      if written == cap and redis.call('HEXISTS', latestKey, '~x') == 0 then redis.call('DEL', listKey) end
    end
    ringBook[1] = written
    ringBook[2] = cap
    ringBook[3] = base
  end
  set[#set + 1] = bookField
  set[#set + 1] = table.concat(book, '|')
  set[#set + 1] = '~r'
  set[#set + 1] = table.concat(ringBook, '|')
  redis.call('HSET', latestKey, unpack(set))
  if migrated then redis.call('HDEL', latestKey, vantage .. ':round', vantage .. ':i') end
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
