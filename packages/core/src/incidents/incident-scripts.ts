/**
 * Lua for incident transitions. Each runs atomically, so several notifiers (and the web role
 * acknowledging) never open two incidents for one group, never resolve twice, and every
 * transition writes its timeline entry and its event in the same step.
 * Keys are derived from the prefix in ARGV[1]; with a hash-tagged prefix they share one slot.
 */

const COMMON = `
local p = ARGV[1]
local function ik(id) return p .. ':incident:' .. id end
local function update(id, at, status, message, by)
  redis.call('RPUSH', ik(id) .. ':updates', cjson.encode({at = tonumber(at), status = status, message = message, by = by}))
end
local function event(kind, id, at, by)
  redis.call('XADD', p .. ':incident-events', 'MAXLEN', '~', '10000', '*', 'type', kind, 'id', id, 'at', at, 'by', by or 'vigil')
end
local function fmt(ms)
  local s = math.floor(ms / 1000 + 0.5)
  if s < 60 then return s .. 's' end
  local m = math.floor(s / 60)
  if m < 60 then
    if s % 60 == 0 then return m .. 'm' end
    return string.format('%dm%02ds', m, s % 60)
  end
  return string.format('%dh%02d', math.floor(m / 60), m % 60)
end
local function resolveNow(id, at, by, message)
  redis.call('HSET', ik(id), 'status', 'resolved', 'resolvedAt', at, 'resolvedBy', by)
  redis.call('ZREM', p .. ':incidents:open', id)
  update(id, at, 'resolved', message, by)
  event('resolved', id, at, by)
end
`;

/**
 * ARGV: prefix, group, now, reopenWindowMs, checkId ('' for none), memberJson, title, impact,
 * severity, component, escalation, startedAt, openedMessage, joinedMessage
 * Returns { id, 'opened' | 'joined' | 'reopened' | 'unchanged' }.
 */
export const OPEN_OR_JOIN = `${COMMON}
local groupKey = p .. ':incident-group:' .. ARGV[2]
local now = ARGV[3]
local id = redis.call('GET', groupKey)
local verb = 'opened'
if id then
  local status = redis.call('HGET', ik(id), 'status')
  if status and status ~= 'resolved' then
    verb = 'joined'
  elseif status == 'resolved' and tonumber(now) - tonumber(redis.call('HGET', ik(id), 'resolvedAt') or '0') <= tonumber(ARGV[4]) then
    verb = 'reopened'
  else
    id = nil
  end
end
if not id then
  id = tostring(redis.call('INCR', p .. ':incidents:seq'))
  redis.call('HSET', ik(id), 'id', id, 'group', ARGV[2], 'title', ARGV[7], 'impact', ARGV[8], 'severity', ARGV[9],
    'status', 'investigating', 'episode', '1', 'startedAt', ARGV[12], 'detectedAt', now)
  if ARGV[10] ~= '' then redis.call('HSET', ik(id), 'component', ARGV[10]) end
  if ARGV[11] ~= '' then redis.call('HSET', ik(id), 'escalation', ARGV[11]) end
  redis.call('SET', groupKey, id)
  redis.call('ZADD', p .. ':incidents:open', ARGV[12], id)
  redis.call('ZADD', p .. ':incidents:all', ARGV[12], id)
  update(id, now, 'investigating', ARGV[13], 'vigil')
end
if verb == 'joined' and ARGV[5] == '' then return {id, 'unchanged'} end
if ARGV[5] ~= '' then
  local membersKey = ik(id) .. ':members'
  local member = cjson.decode(ARGV[6])
  local existing = redis.call('HGET', membersKey, ARGV[5])
  if existing then
    local old = cjson.decode(existing)
    if verb == 'joined' and old.down then return {id, 'unchanged'} end
    -- Failing again after recovering: this failure's rounds replace the last one's, so the bounds
    -- never count the time the check was seen up as downtime.
  end
  redis.call('HSET', membersKey, ARGV[5], cjson.encode(member))
end
if verb == 'reopened' then
  redis.call('HSET', ik(id), 'status', 'investigating')
  redis.call('HDEL', ik(id), 'resolvedAt', 'resolvedBy', 'acknowledgedAt', 'acknowledgedBy')
  redis.call('HINCRBY', ik(id), 'episode', 1)
  redis.call('DEL', ik(id) .. ':paged')
  redis.call('ZADD', p .. ':incidents:open', redis.call('HGET', ik(id), 'startedAt'), id)
  update(id, now, 'investigating', 'Reopened: ' .. (ARGV[14] ~= '' and ARGV[14] or ARGV[13]), 'vigil')
elseif verb == 'joined' and ARGV[14] ~= '' then
  update(id, now, redis.call('HGET', ik(id), 'status'), ARGV[14], 'vigil')
end
event(verb, id, now)
return {id, verb}
`;

/**
 * A member check recovered. ARGV: prefix, id, checkId, firstGoodAfter, now, partialMessage, resolvedPrefix,
 * lastFailedRound, withBounds ('1' to append the downtime bounds to the resolved entry, '0' not)
 * Returns { 'partial', stillDown } or { 'resolved', atLeastMs, atMostMs } or { 'unchanged' }.
 */
export const MEMBER_RECOVERED = `${COMMON}
local id = ARGV[2]
local membersKey = ik(id) .. ':members'
local raw = redis.call('HGET', membersKey, ARGV[3])
if not raw then return {'unchanged'} end
local member = cjson.decode(raw)
if not member.down then return {'unchanged'} end
member.down = false
member.firstGoodAfter = tonumber(ARGV[4])
if tonumber(ARGV[8]) > member.lastFailedRound then member.lastFailedRound = tonumber(ARGV[8]) end
redis.call('HSET', membersKey, ARGV[3], cjson.encode(member))
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
local status = redis.call('HGET', ik(id), 'status')
if status == 'resolved' then return {'unchanged'} end
if stillDown > 0 then
  -- One partial-recovery entry a minute at most: a mass recovery is a few lines, not hundreds.
  if tonumber(ARGV[5]) - tonumber(redis.call('HGET', ik(id), 'partialAt') or '0') >= 60000 then
    redis.call('HSET', ik(id), 'partialAt', ARGV[5])
    update(id, ARGV[5], status, string.format(ARGV[6], stillDown), 'vigil')
  end
  event('partial', id, ARGV[5])
  return {'partial', stillDown}
end
local atLeast, atMost = lastFailed - firstFailed, firstGood - lastGood
local message = ARGV[7]
if ARGV[9] ~= '0' then message = message .. ' Down for at least ' .. fmt(atLeast) .. ' and at most ' .. fmt(atMost) .. '.' end
resolveNow(id, ARGV[5], 'vigil', message)
return {'resolved', atLeast, atMost}
`;

/** ARGV: prefix, id, by, now. Returns 'acknowledged' | 'already' | 'resolved' | 'missing'. */
export const ACKNOWLEDGE = `${COMMON}
local id = ARGV[2]
local status = redis.call('HGET', ik(id), 'status')
if not status then return 'missing' end
if status == 'resolved' then return 'resolved' end
if redis.call('HEXISTS', ik(id), 'acknowledgedAt') == 1 then return 'already' end
redis.call('HSET', ik(id), 'acknowledgedAt', ARGV[4], 'acknowledgedBy', ARGV[3])
update(id, ARGV[4], status, 'Acknowledged by ' .. ARGV[3] .. '.', ARGV[3])
event('acknowledged', id, ARGV[4], ARGV[3])
return 'acknowledged'
`;

/** ARGV: prefix, id, by, now, message. Returns 'resolved' | 'already' | 'missing'. */
export const RESOLVE = `${COMMON}
local id = ARGV[2]
local status = redis.call('HGET', ik(id), 'status')
if not status then return 'missing' end
if status == 'resolved' then return 'already' end
resolveNow(id, ARGV[4], ARGV[3], ARGV[5])
return 'resolved'
`;

/** ARGV: prefix, id, by, now, status, message. Returns 'updated' | 'resolved' | 'missing'. */
export const ADD_UPDATE = `${COMMON}
local id = ARGV[2]
local status = redis.call('HGET', ik(id), 'status')
if not status then return 'missing' end
if status == 'resolved' and ARGV[5] ~= 'resolved' then return 'resolved' end
if ARGV[5] == 'resolved' and status ~= 'resolved' then
  resolveNow(id, ARGV[4], ARGV[3], ARGV[6])
  return 'updated'
end
redis.call('HSET', ik(id), 'status', ARGV[5])
update(id, ARGV[4], ARGV[5], ARGV[6], ARGV[3])
event('updated', id, ARGV[4], ARGV[3])
return 'updated'
`;
