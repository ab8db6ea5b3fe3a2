--[[
  Merges notifiers' latency aggregates into each check's rollup string (see latency-rollup.ts for
  the layout, version 4): per vantage, a 24 h tier of 24 hour slots and a week tier of 24
  six-hour slots holding only what the day tier no longer does, 8 bytes a slot. Merging is additive,
  so several notifiers may each hold part of a bucket: counts add, means are weighted by the
  successful samples. The day head (the newest hour merged) moves on with the newest bucket
  merged; each hour it pushes out of the day tier is first merged into its six-hour slot of
  the week tier, whose window moves on with it (zeroing the slots it passes over, so a slot reused
  when its time comes round reads as empty, never as the bucket it held a lap ago). A bucket lands in
  the day tier while it is within it, else in the week tier while within 7 d, else is dropped. A
  vantage not yet in the key's header gets a block of its own (the key is rewritten then, once per
  vantage). A version 1 key (56 three-hour week slots) is rewritten as version 2, a version 2 key
  (28 six-hour week slots also holding the day tier's half hours) as version 3 (each week slot less
  the part the day tier still holds), and a version 3 key (48 half-hour day slots) as version 4 (its
  half hours merged in pairs into hours), first, in turn. A key of a layout it does not know, or
  whose header and length disagree with its layout (an old notifier merged into it), is replaced.
  A merged bucket costs a GETRANGE and a SETRANGE; a key two GETRANGE, a STRLEN, a SETRANGE and a
  PEXPIRE, and a GETRANGE a vantage when the day head moves.

  Input:
    KEYS[1] the first check's latency rollup (string)
    KEYS[2…] each further check's, in turn
    ARGV[1] how long a rollup lives after its last merge, ms (a deleted check's goes with it)
    ARGV[2…] for each key in turn, its aggregates, each ended by a newline: vantage, hour bucket
      (epoch ms ÷ 3,600,000), samples, failures, then the mean total, DNS, connect, TLS and first-byte
      ms over the successful samples, tab-separated

  Output:
    How many aggregates were merged (a bucket older than 7 d is dropped); or, nothing merged, an
    error naming the first key Redis refused to read (another type under its name)
]]

local HEADER = 12
local SLOT = 8
local VERSION = 4
-- The day tier: 24 hours; the week tier: 24 six-hour buckets, those before the four the day tier covers.
local DAY = { n = 24, at = 0 }
local WEEK = { n = 24, per = 6, at = 24 * SLOT }
-- Six-hour buckets a 7 d chart shows, and how far the week tier's newest lags the day head's.
local WEEK_SHOWN = 28
local LAG = DAY.n / WEEK.per
local BLOCK = (24 + 24) * SLOT
-- Version 3: 48 half-hour day slots (12 a six-hour bucket), then the same 24 six-hour week slots.
local V3 = { day = 48, per = 12, at = 48 * SLOT, block = (48 + 24) * SLOT }
-- Version 2: 28 six-hour week slots after version 3's day tier, holding the day tier's half hours too.
local V2 = { n = 28, at = 48 * SLOT, block = (48 + 28) * SLOT }
-- Version 1: 56 three-hour week slots after version 3's day tier.
local V1 = { n = 56, at = 48 * SLOT, block = (48 + 56) * SLOT }
local COUNT_MAX = 4095
-- Latency codes: 0 is 0 ms, code c is 0.1 ms × R^(c − 1) up to 60 s (c = 255), R = 600,000^(1/254).
local LN_MIN = math.log(0.1)
local LN_R = math.log(600000) / 254
local ZERO_SLOT = string.rep('\0', SLOT)
local byte, char, sub, floor = string.byte, string.char, string.sub, math.floor

local function u32(s, at)
  local a, b, c, d = byte(s, at, at + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

local function bytes4(n)
  local d = n % 256
  n = (n - d) / 256
  local c = n % 256
  n = (n - c) / 256
  local b = n % 256
  return char((n - b) / 256, b, c, d)
end

local function encode(ms)
  if ms < 0.05 then return 0 end
  local c = 1 + floor((math.log(ms) - LN_MIN) / LN_R + 0.5)
  if c < 1 then return 1 end
  if c > 255 then return 255 end
  return c
end

-- Each code's latency, once a call rather than an exp a phase a merge.
local DECODE = { [0] = 0 }
for c = 1, 255 do DECODE[c] = math.exp(LN_MIN + (c - 1) * LN_R) end

-- A slot's samples, failures and five codes.
local function unpackSlot(slot)
  local a, b, c, t, d, k, l, f = byte(slot, 1, 8)
  local counts = (a * 256 + b) * 256 + c
  local failures = counts % 4096
  return (counts - failures) / 4096, failures, { t, d, k, l, f }
end

local function packSlot(samples, failures, codes)
  local counts = samples * 4096 + failures
  local c3 = counts % 256
  counts = (counts - c3) / 256
  local c2 = counts % 256
  return char((counts - c2) / 256, c2, c3, codes[1], codes[2], codes[3], codes[4], codes[5])
end

-- A slot merged with an aggregate (a table of samples, failures and five means).
local function merge(slot, agg)
  local samples, failures, codes = unpackSlot(slot)
  local okHeld, okNew = samples - failures, agg[1] - agg[2]
  local ok = okHeld + okNew
  for i = 1, 5 do
    if ok > 0 then codes[i] = encode((okHeld * DECODE[codes[i]] + okNew * agg[2 + i]) / ok) end
  end
  samples, failures = samples + agg[1], failures + agg[2]
  -- Past the counters' 12 bits (a 6-h bucket of a check probed more often than every 5 s): halved,
  -- keeping the ratio.
  while samples > COUNT_MAX do
    samples, failures = floor((samples + 1) / 2), floor((failures + 1) / 2)
  end
  return packSlot(samples, failures, codes)
end

-- A slot less an aggregate it holds (its counts and means taken back out).
local function unmerge(slot, agg)
  local samples, failures, codes = unpackSlot(slot)
  local okHeld, okOut = samples - failures, agg[1] - agg[2]
  local left = math.max(0, samples - agg[1])
  local leftFailures = math.min(left, math.max(0, failures - agg[2]))
  if left == 0 then return ZERO_SLOT end
  local ok = left - leftFailures
  for i = 1, 5 do
    if ok > 0 then codes[i] = encode(math.max(0, okHeld * DECODE[codes[i]] - okOut * agg[2 + i]) / ok) end
  end
  return packSlot(left, leftFailures, codes)
end

-- A slot as an aggregate to merge (nil when empty).
local function aggOf(slot)
  local samples, failures, codes = unpackSlot(slot)
  if samples == 0 then return nil end
  return { samples, failures, DECODE[codes[1]], DECODE[codes[2]], DECODE[codes[3]], DECODE[codes[4]], DECODE[codes[5]] }
end

-- Whether a key's header and length agree with its layout (`per` day slots a week bucket, `block`
-- bytes a vantage): the week head is the day head's bucket, and the key holds a block a vantage. A
-- notifier of a release before, which reads another layout, merging into a key breaks both: such a
-- key, unreadable, is replaced.
local function whole(key, header, per, block)
  local namesLength = byte(header, 11) * 256 + byte(header, 12)
  return u32(header, 7) == floor(u32(header, 3) / per)
    and redis.call('STRLEN', key) == HEADER + namesLength + byte(header, 2) * block
end

-- Rewrites a version 1 key as version 2: the day tier kept, each six-hour week slot the merge of its
-- two three-hour ones that the old tier still held (its head's bucket ÷ 2 the new head).
local function upgradeV1(key, header)
  local raw = redis.call('GET', key)
  local namesLength = byte(header, 11) * 256 + byte(header, 12)
  local base = HEADER + namesLength
  local head3 = u32(header, 7)
  local head6 = floor(head3 / 2)
  local parts = { char(2, byte(header, 2)) .. sub(header, 3, 6) .. bytes4(head6) .. sub(raw, 11, base) }
  for v = 0, floor((#raw - base) / V1.block) - 1 do
    local block = base + v * V1.block
    parts[#parts + 1] = sub(raw, block + 1, block + V1.at)
    local slots = {}
    for bucket = head6 - V2.n + 1, head6 do
      local slot = ZERO_SLOT
      for old = 2 * bucket, 2 * bucket + 1 do
        if old > head3 - V1.n and old <= head3 then
          local at = block + V1.at + (old % V1.n) * SLOT
          local agg = aggOf(sub(raw, at + 1, at + SLOT) .. ZERO_SLOT)
          if agg then slot = merge(slot, agg) end
        end
      end
      slots[bucket % V2.n + 1] = slot
    end
    parts[#parts + 1] = table.concat(slots)
  end
  redis.call('SET', key, table.concat(parts))
end

-- Rewrites a version 2 key as version 3: the day tier kept, the week tier its six-hour buckets before
-- the day tier's four, each less the half hours the day tier still holds of it.
local function upgradeV2(key, header)
  local raw = redis.call('GET', key)
  local namesLength = byte(header, 11) * 256 + byte(header, 12)
  local base = HEADER + namesLength
  local dayHead, weekHead = u32(header, 3), u32(header, 7)
  local parts = { char(3) .. sub(raw, 2, base) }
  for v = 0, floor((#raw - base) / V2.block) - 1 do
    local block = base + v * V2.block
    parts[#parts + 1] = sub(raw, block + 1, block + V2.at)
    local slots = {}
    for bucket = weekHead - WEEK_SHOWN + 1, weekHead - LAG do
      local at = block + V2.at + (bucket % V2.n) * SLOT
      local slot = sub(raw, at + 1, at + SLOT)
      for half = math.max(bucket * V3.per, dayHead - V3.day + 1), math.min(bucket * V3.per + V3.per - 1, dayHead) do
        local dayAt = block + (half % V3.day) * SLOT
        local agg = aggOf(sub(raw, dayAt + 1, dayAt + SLOT))
        if agg then slot = unmerge(slot, agg) end
      end
      slots[bucket % WEEK.n + 1] = slot
    end
    parts[#parts + 1] = table.concat(slots)
  end
  redis.call('SET', key, table.concat(parts))
end

-- Rewrites a version 3 key as version 4: each hour slot the merge of the two half hours the day tier
-- held of it (its head's hour the new head), the week slots kept (the same six-hour buckets, in the
-- same slots) but for a half hour whose hour the new day tier no longer holds, merged into its own.
local function upgradeV3(key, header)
  local raw = redis.call('GET', key)
  local namesLength = byte(header, 11) * 256 + byte(header, 12)
  local base = HEADER + namesLength
  local halfHead, weekHead = u32(header, 3), u32(header, 7)
  local head = floor(halfHead / 2)
  local parts = { char(VERSION, byte(header, 2)) .. bytes4(head) .. sub(raw, 7, base) }
  for v = 0, floor((#raw - base) / V3.block) - 1 do
    local block = base + v * V3.block
    local day, week = {}, {}
    for slot = 1, DAY.n do day[slot] = ZERO_SLOT end
    for slot = 1, WEEK.n do
      local at = block + V3.at + (slot - 1) * SLOT
      week[slot] = sub(raw, at + 1, at + SLOT)
    end
    for half = halfHead - V3.day + 1, halfHead do
      local at = block + (half % V3.day) * SLOT
      local agg = aggOf(sub(raw, at + 1, at + SLOT))
      local hour = floor(half / 2)
      if agg and hour > head - DAY.n then
        day[hour % DAY.n + 1] = merge(day[hour % DAY.n + 1], agg)
      elseif agg and floor(hour / WEEK.per) > weekHead - WEEK_SHOWN then
        local bucket = floor(hour / WEEK.per) % WEEK.n + 1
        week[bucket] = merge(week[bucket], agg)
      end
    end
    parts[#parts + 1] = table.concat(day) .. table.concat(week)
  end
  redis.call('SET', key, table.concat(parts))
end

-- Zeroes `count` slots of a tier from slot `first` on (wrapping), in every vantage's block.
local function zero(key, base, vantages, tier, first, count)
  if count >= tier.n then first, count = 0, tier.n end
  local head = math.min(count, tier.n - first)
  for v = 0, vantages - 1 do
    local at = base + v * BLOCK + tier.at
    redis.call('SETRANGE', key, at + first * SLOT, string.rep(ZERO_SLOT, head))
    if count > head then redis.call('SETRANGE', key, at, string.rep(ZERO_SLOT, count - head)) end
  end
end

-- Moves the day head from `from` to `to` (later): the week tier's window first (its newest bucket
-- the one before the day tier's four), then each hour leaving the day tier merged into its week
-- slot (when within 7 d) and zeroed.
local function advance(key, base, vantages, from, to)
  local weekFrom, weekTo = floor(from / WEEK.per), floor(to / WEEK.per)
  if weekTo > weekFrom then zero(key, base, vantages, WEEK, (weekFrom - LAG + 1) % WEEK.n, weekTo - weekFrom) end
  local first, last = from - DAY.n + 1, math.min(from, to - DAY.n)
  if last >= first then
    for v = 0, vantages - 1 do
      local at = base + v * BLOCK
      local day = redis.call('GETRANGE', key, at, at + DAY.n * SLOT - 1)
      for hour = first, last do
        local bucket = floor(hour / WEEK.per)
        local slotAt = (hour % DAY.n) * SLOT
        local agg = bucket > weekTo - WEEK_SHOWN and aggOf(sub(day, slotAt + 1, slotAt + SLOT))
        if agg then
          local weekAt = at + WEEK.at + (bucket % WEEK.n) * SLOT
          redis.call('SETRANGE', key, weekAt, merge(redis.call('GETRANGE', key, weekAt, weekAt + SLOT - 1), agg))
        end
      end
    end
  end
  zero(key, base, vantages, DAY, (from + 1) % DAY.n, to - from)
end

-- Where an hour bucket lands in a vantage's block (day heads `head`), nil when older than 7 d.
local function slotOf(head, bucket)
  if bucket > head - DAY.n then return DAY.at + (bucket % DAY.n) * SLOT end
  local week = floor(bucket / WEEK.per)
  if week > floor(head / WEEK.per) - WEEK_SHOWN then return WEEK.at + (week % WEEK.n) * SLOT end
  return nil
end

local LINE = '([^\t\n]+)\t(%d+)\t(%d+)\t(%d+)\t([%d.]+)\t([%d.]+)\t([%d.]+)\t([%d.]+)\t([%d.]+)\n'
if not KEYS[1] or #ARGV ~= #KEYS + 1 then return redis.error_reply('expected rollup keys, then the TTL and one argument per key') end
local ttl = tonumber(ARGV[1])
local merged = 0

-- Every key's header read before any key is written: a key Redis refuses to read (another type
-- under its name) refuses the call with nothing merged, so the caller that puts the call's
-- aggregates back counts none of them twice.
local held, headers = {}, {}
for i = 1, #KEYS do
  local aggs = {}
  for vantage, bucket, samples, failures, t, d, k, l, f in string.gmatch(ARGV[i + 1], LINE) do
    aggs[#aggs + 1] = { vantage, tonumber(bucket), { tonumber(samples), tonumber(failures), tonumber(t), tonumber(d),
      tonumber(k), tonumber(l), tonumber(f) } }
  end
  if #aggs > 0 then
    local header = redis.pcall('GETRANGE', KEYS[i], 0, HEADER - 1)
    if type(header) == 'table' then return redis.error_reply('key ' .. i .. ': ' .. tostring(header.err)) end
    held[i], headers[i] = aggs, header
  end
end

for i = 1, #KEYS do
  local key = KEYS[i]
  if held[i] then
    local aggs, header = held[i], headers[i]
    local version = #header == HEADER and byte(header, 1) or 0
    if version == 1 and whole(key, header, 6, V1.block) then
      upgradeV1(key, header)
      header = redis.call('GETRANGE', key, 0, HEADER - 1)
      version = 2
    end
    if version == 2 and whole(key, header, V3.per, V2.block) then
      upgradeV2(key, header)
      header = redis.call('GETRANGE', key, 0, HEADER - 1)
      version = 3
    end
    if version == 3 and whole(key, header, V3.per, V3.block) then
      upgradeV3(key, header)
      header = redis.call('GETRANGE', key, 0, HEADER - 1)
    elseif version ~= VERSION or not whole(key, header, WEEK.per, BLOCK) then
      header = ''
    end
    local names, index, head, namesLength = {}, {}, 0, 0
    if #header == HEADER then
      head = u32(header, 3)
      namesLength = byte(header, 11) * 256 + byte(header, 12)
      if namesLength > 0 then
        for name in string.gmatch(redis.call('GETRANGE', key, HEADER, HEADER + namesLength - 1), '[^\n]+') do
          names[#names + 1] = name
          index[name] = #names - 1
        end
      end
    end
    local known = #names
    for _, agg in ipairs(aggs) do
      if not index[agg[1]] then
        names[#names + 1] = agg[1]
        index[agg[1]] = #names - 1
      end
    end
    if #names > known or #header < HEADER then
      local blocks = ''
      if #header == HEADER then blocks = sub(redis.call('GET', key), HEADER + namesLength + 1) end
      local joined = table.concat(names, '\n')
      namesLength = #joined
      redis.call('SET', key, char(VERSION, #names) .. bytes4(head) .. bytes4(floor(head / WEEK.per)) ..
        char(floor(namesLength / 256), namesLength % 256) .. joined .. blocks ..
        string.rep('\0', BLOCK * (#names - known)))
    end
    local base = HEADER + namesLength
    local newest = 0
    for _, agg in ipairs(aggs) do newest = math.max(newest, agg[2]) end
    if newest > head then
      if head > 0 then advance(key, base, #names, head, newest) end
      head = newest
    end
    for _, agg in ipairs(aggs) do
      local slot = slotOf(head, agg[2])
      if slot then
        local at = base + index[agg[1]] * BLOCK + slot
        redis.call('SETRANGE', key, at, merge(redis.call('GETRANGE', key, at, at + SLOT - 1), agg[3]))
        merged = merged + 1
      end
    end
    redis.call('SETRANGE', key, 2, bytes4(head) .. bytes4(floor(head / WEEK.per)))
    redis.call('PEXPIRE', key, ttl)
  end
end
return merged
