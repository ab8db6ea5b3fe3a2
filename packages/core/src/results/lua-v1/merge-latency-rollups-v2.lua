--[[
  Version 2 of lua/merge-latency-rollups.lua as it was released (28 six-hour week slots a vantage,
  holding every half hour the day tier holds too), kept unchanged below this paragraph for
  latency-rollup-upgrade.test.ts to write keys of the layout before, as an upgraded deployment finds
  them. Nothing else loads it.

  Merges notifiers' latency aggregates into each check's rollup string (see latency-rollup.ts for
  the layout, version 2): per vantage, a 24 h tier of 48 half-hour slots and a 7 d tier of 28
  six-hour slots, 8 bytes a slot. Merging is additive, so several notifiers may each hold part of a
  bucket: counts add, means are weighted by the successful samples. A tier's head (its newest
  bucket) moves on with the newest bucket merged, zeroing the slots it passes over, so a slot reused
  when its time comes round reads as empty, never as the bucket it held a lap ago. A vantage not yet
  in the key's header gets a block of its own (the key is rewritten then, once per vantage). A
  version 1 key (56 three-hour week slots a vantage) is rewritten as version 2 first, each six-hour
  slot the merge of its two three-hour ones; a key of a layout it does not know, or whose header
  and length disagree with its layout (an old notifier merged into it), is replaced.
  A merged bucket costs two GETRANGE and two SETRANGE; a key two GETRANGE, a STRLEN, a SETRANGE and a
  PEXPIRE.

  Input:
    KEYS[1] the first check's latency rollup (string)
    KEYS[2…] each further check's, in turn
    ARGV[1] how long a rollup lives after its last merge, ms (a deleted check's goes with it)
    ARGV[2…] for each key in turn, its aggregates, each ended by a newline: vantage, half-hour bucket
      (epoch ms ÷ 1,800,000), samples, failures, then the mean total, DNS, connect, TLS and first-byte
      ms over the successful samples, tab-separated

  Output:
    How many aggregates were merged (a bucket older than both tiers' windows is dropped).
]]

local HEADER = 12
local SLOT = 8
local VERSION = 2
local TIERS = { { n = 48, per = 1, at = 0 }, { n = 28, per = 12, at = 48 * SLOT } }
local BLOCK = (48 + 28) * SLOT
-- Version 1's week tier: 56 three-hour slots after the same day tier.
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

-- A slot merged with an aggregate (a table of samples, failures and five means).
local function merge(slot, agg)
  local a, b, c, t, d, k, l, f = byte(slot, 1, 8)
  local counts = (a * 256 + b) * 256 + c
  local failures = counts % 4096
  local samples = (counts - failures) / 4096
  local okHeld, okNew = samples - failures, agg[1] - agg[2]
  local codes = { t, d, k, l, f }
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
  counts = samples * 4096 + failures
  local c3 = counts % 256
  counts = (counts - c3) / 256
  local c2 = counts % 256
  return char((counts - c2) / 256, c2, c3, codes[1], codes[2], codes[3], codes[4], codes[5])
end

-- A slot as an aggregate to merge (nil when empty).
local function aggOf(slot)
  local a, b, c, t, d, k, l, f = byte(slot, 1, 8)
  local counts = (a * 256 + b) * 256 + c
  local failures = counts % 4096
  local samples = (counts - failures) / 4096
  if samples == 0 then return nil end
  return { samples, failures, DECODE[t], DECODE[d], DECODE[k], DECODE[l], DECODE[f] }
end

-- Whether a key's header and length agree with its layout (`per` half hours a week bucket, `block`
-- bytes a vantage): the week head is the day head's bucket, and the key holds a block a vantage. A
-- notifier of the release before, which reads no version, merging into a version 2 key breaks both:
-- such a key, unreadable, is replaced.
local function whole(key, header, per, block)
  local namesLength = byte(header, 11) * 256 + byte(header, 12)
  return u32(header, 7) == floor(u32(header, 3) / per)
    and redis.call('STRLEN', key) == HEADER + namesLength + byte(header, 2) * block
end

-- Rewrites a version 1 key as version 2: the day tier kept, each six-hour week slot the merge of its
-- two three-hour ones that the old tier still held (its head's bucket ÷ 2 the new head).
local function upgrade(key, header)
  local raw = redis.call('GET', key)
  local namesLength = byte(header, 11) * 256 + byte(header, 12)
  local base = HEADER + namesLength
  local head3 = u32(header, 7)
  local head6 = floor(head3 / 2)
  local parts = { char(VERSION, byte(header, 2)) .. sub(header, 3, 6) .. bytes4(head6) .. sub(raw, 11, base) }
  for v = 0, floor((#raw - base) / V1.block) - 1 do
    local block = base + v * V1.block
    parts[#parts + 1] = sub(raw, block + 1, block + V1.at)
    local slots = {}
    for bucket = head6 - TIERS[2].n + 1, head6 do
      local slot = ZERO_SLOT
      for old = 2 * bucket, 2 * bucket + 1 do
        if old > head3 - V1.n and old <= head3 then
          local at = block + V1.at + (old % V1.n) * SLOT
          local agg = aggOf(sub(raw, at + 1, at + SLOT) .. ZERO_SLOT)
          if agg then slot = merge(slot, agg) end
        end
      end
      slots[bucket % TIERS[2].n + 1] = slot
    end
    parts[#parts + 1] = table.concat(slots)
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

local LINE = '([^\t\n]+)\t(%d+)\t(%d+)\t(%d+)\t([%d.]+)\t([%d.]+)\t([%d.]+)\t([%d.]+)\t([%d.]+)\n'
if not KEYS[1] or #ARGV ~= #KEYS + 1 then return redis.error_reply('expected rollup keys, then the TTL and one argument per key') end
local ttl = tonumber(ARGV[1])
local merged = 0

for i = 1, #KEYS do
  local key = KEYS[i]
  local aggs = {}
  for vantage, bucket, samples, failures, t, d, k, l, f in string.gmatch(ARGV[i + 1], LINE) do
    aggs[#aggs + 1] = { vantage, tonumber(bucket), { tonumber(samples), tonumber(failures), tonumber(t), tonumber(d),
      tonumber(k), tonumber(l), tonumber(f) } }
  end
  if #aggs > 0 then
    local header = redis.call('GETRANGE', key, 0, HEADER - 1)
    local version = #header == HEADER and byte(header, 1) or 0
    if version == 1 and whole(key, header, 6, V1.block) then
      upgrade(key, header)
      header = redis.call('GETRANGE', key, 0, HEADER - 1)
    elseif version ~= VERSION or not whole(key, header, TIERS[2].per, BLOCK) then
      header = ''
    end
    local names, index, heads, namesLength = {}, {}, { 0, 0 }, 0
    if #header == HEADER then
      heads = { u32(header, 3), u32(header, 7) }
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
      redis.call('SET', key, char(VERSION, #names) .. bytes4(heads[1]) .. bytes4(heads[2]) ..
        char(floor(namesLength / 256), namesLength % 256) .. joined .. blocks ..
        string.rep('\0', BLOCK * (#names - known)))
    end
    local base = HEADER + namesLength
    for t, tier in ipairs(TIERS) do
      local newest = 0
      for _, agg in ipairs(aggs) do newest = math.max(newest, floor(agg[2] / tier.per)) end
      if newest > heads[t] then
        if heads[t] > 0 then zero(key, base, #names, tier, (heads[t] + 1) % tier.n, newest - heads[t]) end
        heads[t] = newest
      end
    end
    for _, agg in ipairs(aggs) do
      local used = false
      for t, tier in ipairs(TIERS) do
        local bucket = floor(agg[2] / tier.per)
        if bucket > heads[t] - tier.n then
          local at = base + index[agg[1]] * BLOCK + tier.at + (bucket % tier.n) * SLOT
          redis.call('SETRANGE', key, at, merge(redis.call('GETRANGE', key, at, at + SLOT - 1), agg[3]))
          used = true
        end
      end
      if used then merged = merged + 1 end
    end
    redis.call('SETRANGE', key, 2, bytes4(heads[1]) .. bytes4(heads[2]))
    redis.call('PEXPIRE', key, ttl)
  end
end
return merged
