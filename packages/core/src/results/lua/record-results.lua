--[[
  Records a batch of probe results, in order, each atomically and exactly once per (check, vantage,
  round): keeps the newest round as the vantage's latest and writes the result into the check's
  history ring. A result costs one HMGET, one HSET and one SETRANGE (and an HGET when it carries a
  message, an HSET when it writes one, two HGETs more when it is a new one); a late one, older than
  its vantage's latest, also a GETRANGE of the ring's newest entries. A check's results side by side
  in the call from different vantages (ResultStore puts a check's together), each its vantage's
  next round without a message, the ring not wrapping among them, cost one HMGET, one SETRANGE and
  one HSET together (a round completed among them: its book is never written); a new check's first
  round, or vantages seen for the first time, an HMGET more (`~n`), and a new ring a SETRANGE more
  (made whole). Values longer than 64 bytes
  (messages) go to the messages hash: a healthy check's latest hash stays listpack-encoded. When the
  ring wraps, a latest hash that turned into a hashtable (a long value written before, or a failing
  round's book) is rewritten compact when all it holds fits, and message slots written before into
  it move to the messages hash.
  A result given its round outcome is also booked for the evaluator, in the same HMGET and HSET
  (includes/book-outcome.lua): its round's book is a field of the same latest hash; the HSET of a
  result completing its round sets `~a` instead, and its book is deleted.

  Input:
    KEYS[1] pending rounds of the results' shard: zset by deadline of `|<check>|<round>…`, the rounds
      first booked by one call with that deadline (includes/book-outcome.lua)
    KEYS[2] the first result's latest hash: `<vantage>` → its latest result without checkId and
      vantage (compact text, or JSON before: results/latest-result.ts), `<vantage>:i` →
      `index|slot|round`: the vantage's index in history entries, the message slot it used last (0
      none) and its latest round, `~n` → the last index given; the ring's `~w` →
      `written|cap|base|72`: entries written, the cap they were written with, the base their rounds
      count from and the entry layout (`70`: 70-bit entries, and none: 10-byte entries, from before,
      written in their layout until the ring wraps, then converted); `~x` when some vantage's results went to the list as JSON
      (index > 15: kept with the ring, late ones too); `~b<round>` the round's book and `~a` the
      last round decided (see includes/book-outcome.lua). Forms before, read and rewritten:
      `<vantage>:i` → `index|slot` or `index` beside `<vantage>:round` → its round; `~w` → written
      beside `~r` → `cap|base|70`, or `cap|base` for a ring of 10-byte entries; the message slots `~m<slot>` and `~mn` (now in the messages hash)
    KEYS[3…] then its history ring (string of 9-byte entries, see history-ring.ts); then the same two
      keys for each further result, in turn. Three more keys of the check, named as its latest hash
      but for the suffix (ARGV[2]), same hash tag, so same slot on a Redis Cluster (Redis 7 lets a
      script without flags use keys it did not declare in its declared keys' slot), only on the
      rare paths that use them (each key declared cost Redis ~0.12 µs a result): its history list
      (packed or JSON entries from before the ring: read until the ring is full, then deleted), its
      check's state hash (read only to book, while the latest hash has no `~a`) and its messages
      hash (`~m<slot>` → `<entry>|<message>`, the ring's message slots, `~mn` the slot used last;
      `<vantage>` → the message of a latest result too long to keep in the latest hash)

    ARGV[1] history length cap
    ARGV[2] the key suffixes of the latest hash, history list, state hash and messages hash, tab-separated
    ARGV[3…] for each result in turn, two (not eleven: ioredis pays for each argument it sends, and
      a Buffer among them for the whole call): first its fields, each ended by a tab: vantage; round
      (epoch ms); remember window (ms); how many of the ring's newest entries a late result's
      duplicate may be among; the entry's outcome (31 bits, from history-ring.ts) as a decimal
      number; then to book it, the round's deadline (epoch ms), vantages expected, pending member
      `<check>|<round>` and its RoundOutcome JSON (0, 0, '' and '' not to book it); then the rest of
      the string, its message for history (none when empty; tabs and all); second its latest value
      (results/latest-result.ts: compact text, or JSON), then when its message is kept apart a
      newline and the message

  Output:
    One reply per result, in order:
    0 a duplicate, nothing recorded (nor booked)
    1 recorded, and the vantage's latest now
    2 recorded, but older than the vantage's latest
    and for a result booked: the same when its round was decided already; + 3 when its round waits
    for more vantages; {reply, book} when it completed its round, claimed by this caller, with every
    outcome of the round as `\n<vantage>\t<outcome JSON>…`; + 6 when it completed its round, claimed
    by this caller from a run of its check's results side by side whose read found no book (none
    stored, nor written earlier in the call): its outcomes are that run's, its results for the round
    replied + 3 before it, then its own (ResultStore joins them: the book is not built nor returned;
    a result recorded alone never replies + 6)
    or an error `result <n>: <message>` for a result that cannot be recorded (a malformed stored
    value): the results before it stay recorded, and their rounds booked in `pending`
]]
--- @include "includes/book-outcome"

if not KEYS[2] or #KEYS % 2 ~= 1 then return redis.error_reply('expected the pending rounds, then two keys per result') end
if #ARGV ~= 2 + (#KEYS - 1) / 2 * 2 then return redis.error_reply('expected the history cap, the key suffixes, then two arguments per result') end
local pendingKey = KEYS[1]
local cap = tonumber(ARGV[1])
-- A check's other keys share its latest hash's name but for the suffix (and so its hash tag: its
-- slot on a Redis Cluster, which Redis 7 lets a script use undeclared).
local LATEST, LIST, STATE, MSG = string.match(ARGV[2], '^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)$')
if not MSG then return redis.error_reply('expected the key suffixes of latest, history, state and messages') end
local function keyBeside(latestKey, suffix)
  return string.sub(latestKey, 1, #latestKey - #LATEST) .. suffix
end
-- Ring entries are 9 bytes (history-ring.ts): a 40-bit head (round delta × 128 + vantage index × 8
-- + message slot) then the 31-bit outcome in 32, written with one SETRANGE. `~w` names the layout:
-- `written|cap|base|72`. Rings from before are written in their own layout until they wrap, then
-- converted: `…|70`, 70-bit entries (a 39-bit head, then the outcome) written with BITFIELD, and no
-- layout, 10-byte entries (40-bit head, 40-bit outcome).
local ENTRY, LAYOUT = 9, '72'
local BITS, HEAD = 70, 39
local SLOTS = 7
local MAX_INDEX = 15
-- Round deltas are 32 bits of ms (~49.7 days); a new base leaves a day for late results and two
-- before the next move, so a ring keeps at least its last 47.7 days.
local SPAN = 4294967296
local MARGIN = 86400000
-- Redis's default hash-max-listpack-value and -entries: past either a hash is a hashtable for good.
local LISTPACK_VALUE = 64
local LISTPACK_ENTRIES = 128
-- Subcommands a BITFIELD call is given at most (Lua's unpack has a limit).
local CHUNK = 200

local floor, match = math.floor, string.match

local function ringBytes(n)
  return n * ENTRY
end

-- An entry of today's layout: the head's 5 bytes, then the outcome's 4, big-endian. Unrolled: it is
-- written every result, and a loop and table a result cost Lua more.
local char = string.char
local function bytes9(head, outcome)
  local h4 = head % 256
  head = (head - h4) / 256
  local h3 = head % 256
  head = (head - h3) / 256
  local h2 = head % 256
  head = (head - h2) / 256
  local h1 = head % 256
  local o3 = outcome % 256
  outcome = (outcome - o3) / 256
  local o2 = outcome % 256
  outcome = (outcome - o2) / 256
  local o1 = outcome % 256
  return char((head - h1) / 256, h1, h2, h3, h4, (outcome - o1) / 256, o1, o2, o3)
end

local function head5(s, at)
  local a, b, c, d, e = string.byte(s, at, at + 4)
  if not e then return 0 end
  return (((a * 256 + b) * 256 + c) * 256 + d) * 256 + e
end

local function u32(s, at)
  local a, b, c, d = string.byte(s, at, at + 3)
  if not d then return 0 end
  return ((a * 256 + b) * 256 + c) * 256 + d
end

-- A latency (ms) as 12 bits: exact to 1,023 ms, then 9 significant bits (≤ 0.2% off), to 65.5 s.
local function latencyCode(ms)
  if ms < 1024 then return ms end
  if ms >= 65536 then return 4095 end
  local e = 1
  while ms >= 2048 * 2 ^ (e - 1) do e = e + 1 end
  return 512 * e + floor(ms / 2 ^ e)
end

-- Start lateness (ms) as 3 bits: from 0, 25, 50, 100, 250, 500, 1,000, 2,500 ms on.
local LATE = { 25, 50, 100, 250, 500, 1000, 2500 }
local function latenessCode(ms)
  local code = 0
  for i = 1, 7 do if ms >= LATE[i] then code = i end end
  return code
end

-- A 10-byte entry's 40-bit outcome (ok, slow, error, status: 16 bits; latency ms 16; lateness in
-- 20 ms 8) as the 31-bit one.
local function outcomeFromV1(o)
  local lateness = o % 256
  o = (o - lateness) / 256
  local total = o % 65536
  local top = (o - total) / 65536
  return (top * 4096 + latencyCode(total)) * 8 + latenessCode(lateness * 20)
end

-- Heads (then outcomes) of entries `first`…`last` (written numbers) of a ring of `ringCap` entries in
-- layout `form`: '72' (9 bytes), '70' (70 bits) or 'v1' (10 bytes, the outcome as written then).
local function readEntries(ringKey, first, last, ringCap, withOutcome, form)
  local out = {}
  if form ~= '70' then
    local size = form == 'v1' and 10 or ENTRY
    local old = redis.call('GET', ringKey) or ''
    for e = first, last do
      local at = (e % ringCap) * size + 1
      out[#out + 1] = head5(old, at)
      if withOutcome then out[#out + 1] = size == 10 and outcomeFromV1(head5(old, at + 5)) or u32(old, at + 5) end
    end
    return out
  end
  local e = first
  while e <= last do
    local args = {}
    local stop = math.min(last, e + CHUNK - 1)
    for n = e, stop do
      local bit = (n % ringCap) * BITS
      args[#args + 1] = 'GET'
      args[#args + 1] = 'u39'
      args[#args + 1] = bit
      if withOutcome then
        args[#args + 1] = 'GET'
        args[#args + 1] = 'u31'
        args[#args + 1] = bit + HEAD
      end
    end
    for _, v in ipairs(redis.call('BITFIELD_RO', ringKey, unpack(args))) do out[#out + 1] = v end
    e = stop + 1
  end
  return out
end

-- Rewrites the ring in today's layout for a new cap, base (`shift` ms added to every round delta)
-- and/or layout (`form`, the layout it is in: '72', '70' or 'v1'), the newest entries first in line
-- from byte 0; entries that no longer fit are dropped. Message slots follow their entries' new
-- numbers. Returns how many entries it holds now.
local ZERO_ENTRY = string.rep('\0', ENTRY)
local function relayout(latestKey, msgKey, ringKey, written, oldCap, form, shift)
  local keep = math.min(written, oldCap, cap)
  local first = written - keep
  local both = keep > 0 and readEntries(ringKey, first, written - 1, oldCap, true, form) or {}
  -- The whole string in one SET, made at its full length (one allocation, never grown).
  local parts = {}
  for i = 1, keep do
    local head = both[2 * i - 1]
    local delta = floor(head / 128) + shift
    if head > 0 and delta >= 0 and delta < SPAN then
      parts[i] = bytes9(delta * 128 + head % 128, both[2 * i])
    else
      parts[i] = ZERO_ENTRY
    end
  end
  parts[keep + 1] = string.rep('\0', ringBytes(cap - keep))
  redis.call('SET', ringKey, table.concat(parts))
  -- Full already (a smaller cap): the list from before the ring is read no more, as at `count == cap`.
  if keep == cap and redis.call('HEXISTS', latestKey, '~x') == 0 then redis.call('DEL', keyBeside(latestKey, LIST)) end
  local back = written - keep
  local fields = {}
  local before = {}
  for slot = 1, SLOTS do
    -- A slot written before the messages hash is in the latest hash: it moves.
    local held = redis.call('HGET', msgKey, '~m' .. slot)
    if not held then
      held = redis.call('HGET', latestKey, '~m' .. slot)
      if held then before[#before + 1] = '~m' .. slot end
    end
    if held then
      local bar = string.find(held, '|', 1, true)
      fields[#fields + 1] = '~m' .. slot
      fields[#fields + 1] = (tonumber(string.sub(held, 1, bar - 1)) - back) .. string.sub(held, bar)
    end
  end
  if #fields > 0 then redis.call('HSET', msgKey, unpack(fields)) end
  if #before > 0 then redis.call('HDEL', latestKey, unpack(before)) end
  return keep
end

-- `n` as `width` bytes, big-endian.
local function bigEndian(n, width)
  local bytes = {}
  for i = width, 1, -1 do
    local b = n % 256
    bytes[i] = b
    n = (n - b) / 256
  end
  return char(unpack(bytes))
end

-- An entry of a ring of 10-byte entries from before (written in its layout until it wraps): the
-- 40-bit head, then the outcome in 40 bits. (`bytes9`, written every result, stays unrolled.)
local function bytes10(head, outcome)
  return bigEndian(head, 5) .. bigEndian(outcome, 5)
end

-- The 31-bit outcome in the 40 bits of a 10-byte entry (latency ms, lateness in 20 ms).
local function outcomeToV1(o)
  local late = o % 8
  o = (o - late) / 8
  local code = o % 4096
  local top = (o - code) / 4096
  local total = code
  if code >= 1024 then
    local e = floor(code / 512) - 1
    total = math.min(65535, (code - 512 * e) * 2 ^ e)
  end
  return (top * 65536 + total) * 256 + floor((late > 0 and LATE[late] or 0) / 20)
end

-- Whether the ring (in layout `form`) holds vantage `index`'s entry for the round `delta` ms past
-- the base: its newest `look` entries are searched (a late result's round is within the remember
-- window, a few intervals).
local function inRing(ringKey, count, delta, index, look, form, ringCap)
  local cap = ringCap
  local n = math.min(count, cap, look)
  if n == 0 then return false end
  local want = delta * 16 + index
  if form ~= '70' then
    local size = form == 'v1' and 10 or ENTRY
    local from = ((count - n) % cap) * size
    local to = ((count - 1) % cap) * size
    local chunks = {}
    if from <= to then chunks[1] = redis.call('GETRANGE', ringKey, from, to + size - 1)
    else
      chunks[1] = redis.call('GETRANGE', ringKey, from, cap * size - 1)
      chunks[2] = redis.call('GETRANGE', ringKey, 0, to + size - 1)
    end
    for _, bytes in ipairs(chunks) do
      for at = 1, #bytes, size do
        if floor(head5(bytes, at) / 8) == want then return true end
      end
    end
    return false
  end
  for _, head in ipairs(readEntries(ringKey, count - n, count - 1, cap, false, form)) do
    if floor(head / 8) == want then return true end
  end
  return false
end

-- Once a ring's length: a latest hash turned hashtable is written anew (listpack) when what it
-- holds fits, its message slots from before moved to the messages hash (whose own are newer).
local function compact(latestKey, msgKey)
  if redis.call('OBJECT', 'ENCODING', latestKey) ~= 'hashtable' then return end
  local all = redis.call('HGETALL', latestKey)
  local keep, moved = {}, {}
  local fits = #all <= 2 * LISTPACK_ENTRIES
  for i = 1, #all, 2 do
    local field, value = all[i], all[i + 1]
    if string.sub(field, 1, 2) == '~m' then
      moved[#moved + 1] = field
      redis.call('HSETNX', msgKey, field, value)
    else
      keep[#keep + 1] = field
      keep[#keep + 1] = value
      if #value > LISTPACK_VALUE or #field > LISTPACK_VALUE then fits = false end
    end
  end
  if fits then
    redis.call('DEL', latestKey)
    redis.call('HSET', latestKey, unpack(keep))
  elseif #moved > 0 then
    redis.call('HDEL', latestKey, unpack(moved))
  end
end

-- Every case `record` below meets: the result's fields, and `f`, the latest hash's fields it read.
-- Returns the reply, then the booking's (nil when the result is not booked, or a duplicate).
local function recordAny(latestKey, ringKey, vantage, roundArg, fields, windowAt, outcome,
    deadline, expected, member, json, outcomeJson, message, round, bookField, indexField, f)
  -- The remember window and how many of the ring's newest entries to look among: read only here.
  local rememberMs, look = match(fields, '^(%d+)\t(%d+)\t', windowAt)
  -- The latest value, then its message when kept apart (the value holds no newline).
  local apart = nil
  local cut = string.find(json, '\n', 1, true)
  if cut then json, apart = string.sub(json, 1, cut - 1), string.sub(json, cut + 1) end
  local index, lastSlot, latestText = nil, nil, nil
  if f[1] then
    local i, slot, r = match(f[1], '^(%d+)|?(%d*)|?(%d*)$')
    index = tonumber(i)
    if slot ~= '' and slot ~= '0' then lastSlot = tonumber(slot) end
    if r ~= '' then latestText = r end
  end
  -- Before, the round had a field of its own (`<vantage>:round`): read, and deleted once `:i` holds it.
  local oldRound = false
  if not latestText then
    latestText = redis.call('HGET', latestKey, vantage .. ':round')
    oldRound = latestText ~= false and latestText ~= nil
    if not oldRound then latestText = nil end
  end
  local latestRound = tonumber(latestText)
  -- Fields set besides the common ones, rarely any: no table a result (tables cost Lua more than calls).
  local set = nil
  local ringBook = false
  local indexBook = false

  if not index then
    index = (tonumber(redis.call('HGET', latestKey, '~n')) or 0) + 1
    set = { '~n', index }
    indexBook = true
  end
  if index > MAX_INDEX then
    -- Past 15 vantages: JSON in the list. The latest round is a duplicate; an older one is late, a
    -- duplicate only when found among the list's newest entries (the round book ignores a vantage's
    -- second outcome for a round anyway).
    local entry = '{"vantage":' .. cjson.encode(vantage) .. ',"round":' .. roundArg .. ','
    if string.byte(json, 1) == 123 then entry = entry .. string.sub(json, 2)
    elseif apart then entry = entry .. '"~":' .. cjson.encode(json) .. ',"~m":' .. cjson.encode(apart) .. '}'
    else entry = entry .. '"~":' .. cjson.encode(json) .. '}' end
    local reply = 1
    if latestRound and round <= latestRound then
      if round == latestRound then return 0 end
      if latestRound - round <= tonumber(rememberMs) then
        for _, held in ipairs(redis.call('LRANGE', keyBeside(latestKey, LIST), 0, tonumber(look) - 1)) do
          if held == entry then return 0 end
        end
      end
      reply = 2
    end
    local booked, book, bookAt = nil, nil, nil
    if bookField then
      booked, book, bookAt = bookOutcome(pendingKey, f[3] and '' or keyBeside(latestKey, STATE), f[3], f[4], vantage,
        outcomeJson, round, deadline, tonumber(expected), member, latestKey, bookField)
    end
    local listKey = keyBeside(latestKey, LIST)
    redis.call('LPUSH', listKey, entry)
    redis.call('LTRIM', listKey, 0, cap - 1)
    set = set or {}
    set[#set + 1] = '~x'
    set[#set + 1] = '1'
    if reply == 1 then
      set[#set + 1] = vantage
      set[#set + 1] = json
      if apart then redis.call('HSET', keyBeside(latestKey, MSG), vantage, apart) end
    end
    if reply == 1 or indexBook or oldRound then
      set[#set + 1] = indexField
      set[#set + 1] = index .. '|0|' .. (reply == 1 and roundArg or latestText)
    end
    if oldRound then redis.call('HDEL', latestKey, vantage .. ':round') end
    if book then
      set[#set + 1] = bookAt
      set[#set + 1] = book
    end
    redis.call('HSET', latestKey, unpack(set))
    return reply, booked
  end

  -- `written|cap|base|layout`; before, `written` with `cap|base[|layout]` in `~r` (deleted once read).
  local count, ringCap, base, form, ringText, oldRing = 0, cap, nil, LAYOUT, nil, false
  if f[2] then
    local c, rest = match(f[2], '^(%d+)(.*)$')
    count, ringText = tonumber(c), rest
    if rest == '' then
      ringText = redis.call('HGET', latestKey, '~r')
      oldRing = ringText ~= false and ringText ~= nil
      ringText = oldRing and '|' .. ringText or nil
    end
    if ringText then
      local rc, b, layout = match(ringText, '^|(%d+)|(%-?%d+)|?(%d*)$')
      ringCap, base = tonumber(rc), tonumber(b)
      form = (layout == LAYOUT or layout == '70') and layout or 'v1'
    end
  end
  if not base then
    base = math.max(0, round - MARGIN)
    ringBook = true
  end
  local shift = 0
  if round - base >= SPAN then
    local newBase = round - SPAN + 2 * MARGIN
    shift = base - newBase
    base = newBase
  end
  -- A ring from before is converted when it wraps (or changes cap or base); written as it is till
  -- then: converting every ring at its check's first result after an upgrade (~1 ms of Redis a
  -- ring) would put them all in one interval.
  -- Its own cap too (the default cap changed with the layout: converting at a new cap at once would
  -- convert every ring in the first interval after an upgrade all the same).
  -- And a ring of today's layout at a cap no longer asked (a changed `history.perCheck`, or its
  -- default): converting it at once would convert every ring in the interval after the change.
  local old = form ~= LAYOUT or ringCap ~= cap
  local oldWrite = old and shift == 0 and ringCap > 0 and count % ringCap ~= 0
  if (ringCap ~= cap and not oldWrite) or (old and not oldWrite) or shift ~= 0 then
    if count > 0 then count = relayout(latestKey, keyBeside(latestKey, MSG), ringKey, count, ringCap, form, shift) end
    form = LAYOUT
    -- Booked at once: a duplicate returns before the writes below.
    ringText = '|' .. cap .. '|' .. string.format('%d', base) .. '|' .. LAYOUT
    redis.call('HSET', latestKey, '~w', count .. ringText)
    if oldRing then redis.call('HDEL', latestKey, '~r') end
    ringBook, oldRing = false, false
  end
  local delta = round - base
  -- The cap the ring is written at: its own while it keeps a layout from before.
  local wcap = oldWrite and ringCap or cap

  -- Exactly once: a round after the vantage's latest is new; the latest itself is a duplicate; an
  -- older one is a duplicate when the ring holds it (among its newest entries).
  local reply = 1
  if latestRound then
    if round == latestRound then return 0 end
    if round < latestRound then
      if latestRound - round <= tonumber(rememberMs) and delta >= 0 and inRing(ringKey, count, delta, index, tonumber(look), form, wcap) then
        return 0
      end
      reply = 2
    end
  end
  local booked, book, bookAt = nil, nil, nil
  if bookField then
    booked, book, bookAt = bookOutcome(pendingKey, f[3] and '' or keyBeside(latestKey, STATE), f[3], f[4], vantage,
      outcomeJson, round, deadline, tonumber(expected), member, latestKey, bookField)
  end

  if delta >= 0 then
    local slot = 0
    if message ~= '' then
      local msgKey = keyBeside(latestKey, MSG)
      if lastSlot then
        local held = redis.call('HGET', msgKey, '~m' .. lastSlot)
        if held and string.sub(held, (string.find(held, '|', 1, true) or 0) + 1) == message then slot = lastSlot end
      end
      if slot == 0 then
        -- The slot used last: in the latest hash before the messages hash.
        local used = redis.call('HGET', msgKey, '~mn') or redis.call('HGET', latestKey, '~mn')
        slot = (tonumber(used) or 0) % SLOTS + 1
        redis.call('HSET', msgKey, '~m' .. slot, count .. '|' .. message, '~mn', slot)
        lastSlot = slot
        indexBook = true
      end
    end
    -- The ring is made whole at its first entry: grown entry by entry, Redis would allocate twice its size.
    if count == 0 then redis.call('SETRANGE', ringKey, ringBytes(cap) - 1, '\0') end
    if form == LAYOUT then
      redis.call('SETRANGE', ringKey, (count % wcap) * ENTRY, bytes9(delta * 128 + index * 8 + slot, tonumber(outcome)))
    elseif form == 'v1' then
      redis.call('SETRANGE', ringKey, (count % wcap) * 10, bytes10(delta * 128 + index * 8 + slot, outcomeToV1(tonumber(outcome))))
    else
      local bit = (count % wcap) * BITS
      redis.call('BITFIELD', ringKey, 'SET', 'u39', bit, delta * 128 + index * 8 + slot, 'SET', 'u31', bit + HEAD, outcome)
    end
    count = count + 1
    if oldWrite and count % wcap == 0 then
      count = relayout(latestKey, keyBeside(latestKey, MSG), ringKey, count, wcap, form, 0)
      form, wcap = LAYOUT, cap
      ringText = '|' .. cap .. '|' .. string.format('%d', base) .. '|' .. LAYOUT
      ringBook = false
    end
    if count == wcap and redis.call('HEXISTS', latestKey, '~x') == 0 then redis.call('DEL', keyBeside(latestKey, LIST)) end
  end
  if ringBook then ringText = '|' .. cap .. '|' .. string.format('%d', base) .. '|' .. LAYOUT end
  local written = count .. ringText
  -- `index|slot|round`: the round is the latest's, so rewritten with every new latest.
  local indexValue = nil
  if reply == 1 then indexValue = index .. '|' .. (lastSlot or 0) .. '|' .. roundArg
  elseif indexBook or oldRound then indexValue = index .. '|' .. (lastSlot or 0) .. '|' .. latestText end
  -- The round's book in the same HSET: a table a result costs Lua more than the branches.
  if reply == 1 then
    if book then redis.call('HSET', latestKey, vantage, json, indexField, indexValue, '~w', written, bookAt, book)
    else redis.call('HSET', latestKey, vantage, json, indexField, indexValue, '~w', written) end
  elseif indexValue then
    if book then redis.call('HSET', latestKey, indexField, indexValue, '~w', written, bookAt, book)
    else redis.call('HSET', latestKey, indexField, indexValue, '~w', written) end
  elseif book then
    redis.call('HSET', latestKey, '~w', written, bookAt, book)
  else
    redis.call('HSET', latestKey, '~w', written)
  end
  if set then redis.call('HSET', latestKey, unpack(set)) end
  if oldRound then redis.call('HDEL', latestKey, vantage .. ':round') end
  if oldRing then redis.call('HDEL', latestKey, '~r') end
  if reply == 1 and apart then redis.call('HSET', keyBeside(latestKey, MSG), vantage, apart) end
  if delta >= 0 and count % wcap == 0 then compact(latestKey, keyBeside(latestKey, MSG)) end
  return reply, booked
end

local fmt = string.format

-- Numbers of the texts few in a call (rounds, caps, indexes, vantages expected, the last round
-- decided), each made once a call: a lookup costs Lua less than `tonumber` (strtod) a result. Not a
-- ring's base nor count: a check's own (a bench's checks all made at once share a base; a fleet's don't).
local NUM = {}
local function num(text)
  local n = NUM[text]
  if n then return n end
  n = tonumber(text)
  NUM[text] = n
  return n
end

-- A result as nearly every one is: a vantage's next round (not late, not a duplicate), no message,
-- its hash and ring in today's forms, the ring neither new nor wrapping here. Checked on what the
-- HMGET read before anything is written; any other result goes to `recordAny` with that read.
-- The stored values are `recordAny`'s, built from the text read (no number made text by Lua's
-- "%.14g" or Redis's "%.17g": ~0.2–0.3 µs each) with fewer Lua strings and calls: this path is
-- most of what Redis spends a probe (bench/record-results-ab.ts).
local function record(latestKey, ringKey, vantage, roundArg, fields, windowAt, outcome,
    deadline, expected, member, json, outcomeJson, message)
  local round = NUM[roundArg] or num(roundArg)
  local bookField = outcomeJson ~= '' and '~b' .. roundArg
  local indexField = vantage .. ':i'
  -- The vantage's `index|slot|round`; the ring's `written|cap|base|layout`; the last round decided
  -- and this one's book. No more: a listpack hash is scanned for each field asked.
  local f
  if bookField then f = redis.call('HMGET', latestKey, indexField, '~w', '~a', bookField)
  else f = redis.call('HMGET', latestKey, indexField, '~w', '~a') end
  local i, slot, latestText, c, rest, ringCap, b, layout
  if message == '' and f[1] and f[2] then
    i, slot, latestText = match(f[1], '^(%d+)|(%d+)|(%d+)$')
    c, rest, ringCap, b, layout = match(f[2], '^(%d+)(|(%d+)|(%d+)|(7[02]))$')
  end
  local index, count, base = i and (NUM[i] or num(i)), tonumber(c), tonumber(b)
  -- A ring is written at its own cap until it wraps (recordAny converts it then, and at a wrap point
  -- it was left at): one of 70-bit entries, and one of today's at a cap no longer asked.
  local wcap = (layout == LAYOUT or layout == '70') and (NUM[ringCap] or num(ringCap))
  if not (base and latestText and wcap and wcap > 0 and index <= MAX_INDEX
      and round > (NUM[latestText] or num(latestText)) and round >= base and round - base < SPAN and count % wcap ~= 0 and (count + 1) % wcap ~= 0
      and not string.find(json, '\n', 1, true)) then
    return recordAny(latestKey, ringKey, vantage, roundArg, fields, windowAt, outcome, deadline, expected, member,
      json, outcomeJson, message, round, bookField, indexField, f)
  end
  local booked, book, bookAt = nil, nil, nil
  if bookField then
    local applied = f[3]
    booked, book, bookAt = bookOutcome(pendingKey, applied and '' or keyBeside(latestKey, STATE),
      applied and (NUM[applied] or num(applied)), f[4], vantage, outcomeJson, round, deadline,
      NUM[expected] or num(expected), member, latestKey, bookField)
  end
  if layout == LAYOUT then
    -- One SETRANGE of the entry's 9 bytes: a BITFIELD of two SETs (a ring of 70-bit entries, written
    -- till it wraps) and the numbers made its text cost Redis ~1.2 µs more a result.
    redis.call('SETRANGE', ringKey, fmt('%d', (count % wcap) * ENTRY), bytes9((round - base) * 128 + index * 8, tonumber(outcome)))
  else
    local bit = (count % wcap) * BITS
    redis.call('BITFIELD', ringKey, 'SET', 'u39', fmt('%d', bit), fmt('%d', (round - base) * 128 + index * 8),
      'SET', 'u31', fmt('%d', bit + HEAD), outcome)
  end
  local indexValue = i .. '|' .. slot .. '|' .. roundArg
  local written = fmt('%d', count + 1) .. rest
  if book then redis.call('HSET', latestKey, vantage, json, indexField, indexValue, '~w', written, bookAt, book)
  else redis.call('HSET', latestKey, vantage, json, indexField, indexValue, '~w', written) end
  return 1, booked
end

-- A result's tab-ended fields, then where its message starts (the JSON has an argument of its own:
-- cut out of a longer one it would be scanned and copied once more).
-- The short fields by pattern; the outcome JSON (hundreds of bytes) up to its tab by a plain find
-- (memchr), not by a character class tried byte by byte (measured: bench/record-results-ab.ts).
local FIELDS = '^([^\t]+)\t(%d+)\t()%d+\t%d+\t(%d+)\t([^\t]+)\t(%d+)\t([^\t]*)\t()'
local sub, find = string.sub, string.find

local replies = {}

-- A check's results from different vantages, side by side in the call (all vantages probe a slot at
-- once, so a merged batch often holds several of a round's): when every one of them is as `record` takes
-- them (no message, a vantage's next round, today's ring at the current cap, not wrapping within
-- the run), one HMGET, one SETRANGE of their consecutive entries and one HSET record them all,
-- each decided as it would be alone, in turn (a book stored before by addOutcome,
-- includes/book-outcome.lua; a round with none its outcomes counted, the book joined only to wait).
-- A new check's first round (no ring, none of its vantages known) and vantages seen for the first
-- time (indexed after `~n`, in the run's order, up to MAX_INDEX) are recorded so too, with an
-- HMGET more for `~n`, and for a new ring the SETRANGE that makes it whole: what recordAny writes
-- for them one by one (a registration burst is all first rounds: bench/record-results-ab.ts, first).
-- A round completed among them never has its book written, nor a pending member; one without a
-- book when the run read it is replied + 6, its book left to the caller to join (Output). Returns false,
-- having written nothing, when one of them is not such a result: they are then recorded one by one.
-- Its tables are the call's, reused run after run: tables made a result cost Lua more than the
-- commands saved (bench/record-results-ab.ts, together).
local gVantage, gRound, gRoundArg, gOutcome, gJson, gIndex, gHeld = {}, {}, {}, {}, {}, {}, {}
local gBook, gJsonFrom, gJsonStop, gDeadline, gExpected, gMember = {}, {}, {}, {}, {}, {}
local gFields, gSet, gEntries, gNew, gAsk = {}, {}, {}, {}, {}
local bookRound, bookFields, bookStored, bookValue, bookFirst, bookCount = {}, {}, {}, {}, {}, {}
local byte = string.byte

-- The run's results read into the tables above; how many books they name, or nil when one of them
-- has a message or a vantage seen before in the run.
local function readGroup(first, n)
  local books = 0
  for j = 1, n do
    local at = first + j - 1
    local args, json = ARGV[2 * at + 3], ARGV[2 * at + 4]
    -- A message ends the fields (after their last tab).
    if byte(args, -1) ~= 9 then return nil end
    local vantage, roundArg, _, outcome, deadline, expected, member, from = match(args, FIELDS)
    local stop = from and find(args, '\t', from, true)
    if stop ~= #args or find(json, '\n', 1, true) then return nil end
    for k = 1, j - 1 do
      if gVantage[k] == vantage then return nil end
    end
    -- A call's results are mostly of one round: its text made a number once a call (NUM).
    local round = NUM[roundArg] or num(roundArg)
    gVantage[j], gRoundArg[j], gRound[j], gOutcome[j], gJson[j] = vantage, roundArg, round, outcome, json
    gFields[j] = vantage .. ':i'
    gBook[j] = false
    if stop > from then
      local b = 0
      for k = 1, books do
        if bookRound[k] == roundArg then b = k end
      end
      if b == 0 then
        books = books + 1
        b = books
        bookRound[b], bookFields[b] = roundArg, '~b' .. roundArg
      end
      -- Its outcome JSON where it is: cut out only when a book is joined here (rarely, in steady state).
      gBook[j], gJsonFrom[j], gJsonStop[j], gDeadline[j], gExpected[j], gMember[j] = b, from, stop, deadline,
        NUM[expected] or num(expected), member
    end
  end
  return books
end

-- The outcome JSON of the run's result `j`.
local function outcomeJsonOf(first, j)
  return sub(ARGV[2 * (first + j) + 1], gJsonFrom[j], gJsonStop[j] - 1)
end

-- Book `b` of the run, which had none before and still waits: its outcomes (the results replied
-- waiting, in the run's order) as addOutcome would have joined them.
local function waitingBook(b, first, n)
  local parts = {}
  for j = 1, n do
    if gBook[j] == b and replies[first + j] == 4 then
      parts[#parts + 1] = '\n' .. gVantage[j] .. '\t' .. outcomeJsonOf(first, j)
    end
  end
  return char(#parts) .. table.concat(parts)
end

local function recordGroup(first, last)
  local n = last - first + 1
  local books = readGroup(first, n)
  if not books then return false end
  local latestKey, ringKey = KEYS[2 + 2 * first], KEYS[3 + 2 * first]
  gFields[n + 1], gFields[n + 2] = '~w', '~a'
  for b = 1, books do gFields[n + 2 + b] = bookFields[b] end
  local f = redis.call('HMGET', latestKey, unpack(gFields, 1, n + 2 + books))
  local c, rest, ringCap, base = nil, nil, nil, nil
  local count, made = nil, false
  if f[n + 1] then
    c, rest, ringCap, base = match(f[n + 1], '^(%d+)(|(%d+)|(%d+)|72)$')
    count, base = tonumber(c), tonumber(base)
    if not (base and ringCap == ARGV[1] and cap > 0) then return false end
  else
    -- A new check (no ring yet, nor any of the run's vantages): the ring is made by the run's first
    -- entry, its base chosen from its round, as recordAny does.
    for j = 1, n do
      if f[j] then return false end
    end
    if not (cap > 0) then return false end
    count, made = 0, true
    base = math.max(0, gRound[1] - MARGIN)
    rest = '|' .. cap .. '|' .. fmt('%d', base) .. '|' .. LAYOUT
  end
  -- No entry of the run may be written at a wrap or reach one, nor start a ring but a new one's
  -- first (recordAny's cases; so the list from before the ring is neither read nor deleted here).
  for j = made and 1 or 0, n do
    if (count + j) % cap == 0 then return false end
  end
  local fresh, latestText, latest = 0, nil, nil
  for j = 1, n do
    local round = gRound[j]
    if f[j] then
      -- `index|slot|` kept as read: the new value is it and the round.
      local held, i, text = match(f[j], '^((%d+)|%d+|)(%d+)$')
      if not text then return false end
      -- The run's vantages mostly held the same round before: made a number once (and once a call).
      if text ~= latestText then latestText, latest = text, NUM[text] or num(text) end
      local index = NUM[i] or num(i)
      if not (index <= MAX_INDEX and round > latest) then return false end
      gIndex[j], gHeld[j] = index, held
    else
      fresh = fresh + 1
      gNew[fresh] = j
    end
    if not (round >= base and round - base < SPAN) then return false end
  end
  local given = nil
  if fresh > 0 then
    -- Vantages seen for the first time: indexes given after `~n`, in the run's order, as recordAny
    -- gives them; one with a round field from before (`<vantage>:round`) is recordAny's.
    gAsk[1] = '~n'
    for k = 1, fresh do gAsk[k + 1] = gVantage[gNew[k]] .. ':round' end
    local held = redis.call('HMGET', latestKey, unpack(gAsk, 1, fresh + 1))
    for k = 2, fresh + 1 do
      if held[k] then return false end
    end
    given = tonumber(held[1]) or 0
    if given + fresh > MAX_INDEX then return false end
    for k = 1, fresh do
      given = given + 1
      gIndex[gNew[k]], gHeld[gNew[k]] = given, fmt('%d', given) .. '|0|'
    end
  end
  for b = 1, books do
    bookStored[b] = f[n + 2 + b] or nil
    bookValue[b] = bookStored[b]
    bookFirst[b] = false
    bookCount[b] = 0
  end
  local applied, decided, m = nil, nil, 0
  for j = 1, n do
    local round = gRound[j]
    gEntries[j] = bytes9((round - base) * 128 + gIndex[j] * 8, tonumber(gOutcome[j]))
    gSet[m + 1], gSet[m + 2], gSet[m + 3], gSet[m + 4] = gVantage[j], gJson[j], gFields[j], gHeld[j] .. gRoundArg[j]
    m = m + 4
    local b, reply = gBook[j], 1
    if b then
      -- Before `~a` existed, the state's own `lastRound` said which round was applied last.
      if not applied then
        local text = f[n + 2] or redis.call('HGET', keyBeside(latestKey, STATE), 'lastRound') or '-1'
        applied = NUM[text] or num(text)
      end
      local stored = bookStored[b]
      if stored then
        local booked, after = addOutcome(applied, bookValue[b], gVantage[j], outcomeJsonOf(first, j), round,
          gExpected[j])
        if type(booked) == 'table' then
          applied, decided, reply = round, fmt('%d', round), { 1, booked[2] }
        elseif booked == 1 then
          reply = 4
        end
        bookValue[b] = after
      elseif round > applied then
        -- No book before: its outcomes are all the run's (vantages differ), counted, not joined; one
        -- completing the round is told so (+ 6) and the caller makes the book from what it sent.
        local count = bookCount[b] + 1
        bookCount[b] = count
        if count >= gExpected[j] then
          applied, decided, reply = round, fmt('%d', round), 7
          bookFirst[b] = false
        else
          reply = 4
          if count == 1 then bookFirst[b] = j end
        end
      end
    end
    replies[first + j] = reply
  end
  -- A new ring is made whole at its first entry, as recordAny makes it (one SET of the whole ring
  -- built here with the entries in place cost ~1.2× a result: bench/record-results-ab.ts, first).
  if made then redis.call('SETRANGE', ringKey, ringBytes(cap) - 1, '\0') end
  redis.call('SETRANGE', ringKey, fmt('%d', (count % cap) * ENTRY), table.concat(gEntries, '', 1, n))
  gSet[m + 1], gSet[m + 2] = '~w', fmt('%d', count + n) .. rest
  m = m + 2
  if given then
    gSet[m + 1], gSet[m + 2] = '~n', fmt('%d', given)
    m = m + 2
  end
  local gone = nil
  for b = 1, books do
    local book = bookValue[b]
    if not bookStored[b] and bookFirst[b] then book = waitingBook(b, first, n) end
    if book then
      if book ~= bookStored[b] then
        gSet[m + 1], gSet[m + 2] = bookFields[b], book
        m = m + 2
      end
      local j = bookFirst[b]
      if j then notePending(pendingKey, gDeadline[j], gMember[j]) end
    elseif bookStored[b] then
      gone = gone or {}
      gone[#gone + 1] = bookFields[b]
    end
  end
  if decided then
    gSet[m + 1], gSet[m + 2] = '~a', decided
    m = m + 2
  end
  redis.call('HSET', latestKey, unpack(gSet, 1, m))
  if gone then redis.call('HDEL', latestKey, unpack(gone)) end
  return true
end

-- Result `i` (from 0) recorded on its own; raises an error when it cannot be.
local function recordOne(i)
  local k = 1 + 2 * i
  local fields = ARGV[2 * i + 3]
  local vantage, round, windowAt, outcome, deadline, expected, member, from = match(fields, FIELDS)
  local stop = from and find(fields, '\t', from, true)
  if not stop then error('expected nine tab-ended fields, then the message', 0) end
  local outcomeJson = sub(fields, from, stop - 1)
  local message = stop < #fields and sub(fields, stop + 1) or ''
  local reply, booked = record(KEYS[k + 1], KEYS[k + 2], vantage, round, fields, windowAt, outcome, deadline,
    expected, member, ARGV[2 * i + 4], outcomeJson, message)
  if not booked or booked == 0 then replies[i + 1] = reply
  elseif booked == 1 then replies[i + 1] = reply + 3
  else replies[i + 1] = { reply, booked[2] } end
end

local total = (#KEYS - 1) / 2
-- The result being recorded (from 1), named by an error. One pcall a call, not one a result (one a
-- result cost the prober's path ~1.5%: bench/record-results-ab.ts, prober).
local current = 0
local function recordAll()
  local i = 0
  while i < total do
    -- The run of results of the same check (the same latest hash) from here.
    local last = i
    while last + 1 < total and KEYS[2 + 2 * (last + 1)] == KEYS[2 + 2 * i] do last = last + 1 end
    current = i + 1
    if not (last > i and recordGroup(i, last)) then
      for j = i, last do
        current = j + 1
        recordOne(j)
      end
    end
    i = last + 1
  end
end
-- An error raised partway (a malformed stored value) must not skip the pending entries of the
-- rounds booked before it: their books stay, and on the retry they would be duplicates. The results
-- before it stay recorded.
local ok, err = pcall(recordAll)
flushPending()
if not ok then return redis.error_reply('result ' .. current .. ': ' .. errorText(err)) end
return replies
