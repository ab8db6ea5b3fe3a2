--[[
  A member check of an incident recovered. While others are still down this is a partial recovery
  (one timeline entry a minute at most); the last one to recover resolves the incident, with the
  bounds of its downtime from every member's rounds.

  Input:
    KEYS[1] incident hash
    KEYS[2] incident members: check id → IncidentMember JSON
    KEYS[3] incident timeline
    KEYS[4] open incidents: zset of ids by start
    KEYS[5] incident event stream

    ARGV[1] incident id
    ARGV[2] member check id
    ARGV[3] first good round after the failure, epoch ms
    ARGV[4] now, epoch ms
    ARGV[5] partial-recovery entry: a string.format pattern with one %d, the checks still down
    ARGV[6] resolved entry
    ARGV[7] last failed round of the member, epoch ms
    ARGV[8] '1' to append the downtime bounds to the resolved entry, '0' not

  Output:
    {'partial', stillDown}
    {'resolved', atLeastMs, atMostMs}
    {'unchanged'} when the member was not down or the incident is resolved already
]]
local k = {incident = KEYS[1], updates = KEYS[3], open = KEYS[4], events = KEYS[5]}
local membersKey = KEYS[2]
local id = ARGV[1]
local checkId = ARGV[2]
local firstGoodAfter = tonumber(ARGV[3])
local now = ARGV[4]
local partialMessage = ARGV[5]
local resolvedMessage = ARGV[6]
local lastFailedRound = tonumber(ARGV[7])
local withBounds = ARGV[8] ~= '0'

--- @include "includes/add-timeline-entry"
--- @include "includes/add-incident-event"
--- @include "includes/mark-resolved"

local function formatDuration(ms)
  local s = math.floor(ms / 1000 + 0.5)
  if s < 60 then return s .. 's' end
  local m = math.floor(s / 60)
  if m < 60 then
    if s % 60 == 0 then return m .. 'm' end
    return string.format('%dm%02ds', m, s % 60)
  end
  return string.format('%dh%02d', math.floor(m / 60), m % 60)
end

local raw = redis.call('HGET', membersKey, checkId)
if not raw then return {'unchanged'} end
local member = cjson.decode(raw)
if not member.down then return {'unchanged'} end
member.down = false
member.firstGoodAfter = firstGoodAfter
if lastFailedRound > member.lastFailedRound then member.lastFailedRound = lastFailedRound end
redis.call('HSET', membersKey, checkId, cjson.encode(member))
local stillDown, firstFailed, lastFailed, lastGood, firstGood = 0, nil, nil, nil, nil
for _, json in ipairs(redis.call('HVALS', membersKey)) do
  local m = cjson.decode(json)
  if m.down then stillDown = stillDown + 1 end
  local good = m.lastGoodBefore or m.firstFailedRound
  if not firstFailed or m.firstFailedRound < firstFailed then firstFailed = m.firstFailedRound end
  if not lastFailed or m.lastFailedRound > lastFailed then lastFailed = m.lastFailedRound end
  if not lastGood or good < lastGood then lastGood = good end
  if m.firstGoodAfter and (not firstGood or m.firstGoodAfter > firstGood) then firstGood = m.firstGoodAfter end
end
local status = redis.call('HGET', k.incident, 'status')
if status == 'resolved' then return {'unchanged'} end
if stillDown > 0 then
  -- One partial-recovery entry a minute at most: a mass recovery is a few lines, not hundreds.
  if tonumber(now) - tonumber(redis.call('HGET', k.incident, 'partialAt') or '0') >= 60000 then
    redis.call('HSET', k.incident, 'partialAt', now)
    addTimelineEntry(k.updates, now, status, string.format(partialMessage, stillDown), 'vigil')
  end
  addIncidentEvent(k.events, 'partial', id, now)
  return {'partial', stillDown}
end
local atLeast, atMost = lastFailed - firstFailed, firstGood - lastGood
local message = resolvedMessage
if withBounds then
  message = message .. ' Down for at least ' .. formatDuration(atLeast) .. ' and at most ' .. formatDuration(atMost) .. '.'
end
markResolved(k, id, now, 'vigil', message)
return {'resolved', atLeast, atMost}
