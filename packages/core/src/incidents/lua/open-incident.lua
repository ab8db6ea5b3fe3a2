--[[
  Opens the group's incident, joins the open one, or reopens one resolved within the reopen window,
  so several notifiers never open two incidents for one group. A member check is recorded (or its
  new failure replaces its last one); every transition writes its timeline entry and its event.

  The incident's id is known only here (the group's latest, or a new one from the counter), so its
  keys are built on the incident key stem: `<stem><id>` for the incident hash and `<stem><id>:members`,
  `:updates` and `:paged` for the rest, as RedisKeys lays them out.

  Input:
    KEYS[1] the group's latest incident id
    KEYS[2] incident id counter
    KEYS[3] open incidents: zset of ids by start
    KEYS[4] all incidents: zset of ids by start
    KEYS[5] incident event stream
    KEYS[6] incident key stem, `<prefix>:incident:`

    ARGV[1]  group, `component:api`
    ARGV[2]  now, epoch ms
    ARGV[3]  reopen window, ms: a resolved incident reopens within it
    ARGV[4]  member check id, '' for none
    ARGV[5]  IncidentMember JSON, '' for none
    ARGV[6]  title
    ARGV[7]  impact
    ARGV[8]  severity
    ARGV[9]  component, '' for none
    ARGV[10] escalation, '' for none
    ARGV[11] started at, epoch ms
    ARGV[12] first timeline entry of a new incident
    ARGV[13] entry for a check joining or reopening, '' for none

  Output:
    {id, verb}: verb 'opened', 'joined', 'reopened' or 'unchanged'
]]
local groupKey = KEYS[1]
local seqKey = KEYS[2]
local openKey = KEYS[3]
local allKey = KEYS[4]
local eventsKey = KEYS[5]
local incidentStem = KEYS[6]
local group = ARGV[1]
local now = ARGV[2]
local reopenWindowMs = tonumber(ARGV[3])
local checkId = ARGV[4]
local memberJson = ARGV[5]
local title = ARGV[6]
local impact = ARGV[7]
local severity = ARGV[8]
local component = ARGV[9]
local escalation = ARGV[10]
local startedAt = ARGV[11]
local openedMessage = ARGV[12]
local joinedMessage = ARGV[13]

--- @include "includes/add-timeline-entry"
--- @include "includes/add-incident-event"

local id = redis.call('GET', groupKey)
local verb = 'opened'
if id then
  local status = redis.call('HGET', incidentStem .. id, 'status')
  if status and status ~= 'resolved' then
    verb = 'joined'
  elseif status == 'resolved'
    and tonumber(now) - tonumber(redis.call('HGET', incidentStem .. id, 'resolvedAt') or '0') <= reopenWindowMs then
    verb = 'reopened'
  else
    id = nil
  end
end
if not id then id = tostring(redis.call('INCR', seqKey)) end
local incidentKey = incidentStem .. id
local membersKey = incidentKey .. ':members'
local updatesKey = incidentKey .. ':updates'
local pagedKey = incidentKey .. ':paged'
if verb == 'opened' then
  redis.call('HSET', incidentKey, 'id', id, 'group', group, 'title', title, 'impact', impact, 'severity', severity,
    'status', 'investigating', 'episode', '1', 'startedAt', startedAt, 'detectedAt', now)
  if component ~= '' then redis.call('HSET', incidentKey, 'component', component) end
  if escalation ~= '' then redis.call('HSET', incidentKey, 'escalation', escalation) end
  redis.call('SET', groupKey, id)
  redis.call('ZADD', openKey, startedAt, id)
  redis.call('ZADD', allKey, startedAt, id)
  addTimelineEntry(updatesKey, now, 'investigating', openedMessage, 'vigil')
end
if verb == 'joined' and checkId == '' then return {id, 'unchanged'} end
if checkId ~= '' then
  local member = cjson.decode(memberJson)
  local existing = redis.call('HGET', membersKey, checkId)
  if existing then
    local old = cjson.decode(existing)
    if verb == 'joined' and old.down then return {id, 'unchanged'} end
    -- Failing again after recovering: this failure's rounds replace the last one's, so the bounds
    -- never count the time the check was seen up as downtime.
  end
  redis.call('HSET', membersKey, checkId, cjson.encode(member))
end
if verb == 'reopened' then
  redis.call('HSET', incidentKey, 'status', 'investigating')
  redis.call('HDEL', incidentKey, 'resolvedAt', 'resolvedBy', 'acknowledgedAt', 'acknowledgedBy')
  redis.call('HINCRBY', incidentKey, 'episode', 1)
  redis.call('DEL', pagedKey)
  redis.call('ZADD', openKey, redis.call('HGET', incidentKey, 'startedAt'), id)
  local reason = joinedMessage ~= '' and joinedMessage or openedMessage
  addTimelineEntry(updatesKey, now, 'investigating', 'Reopened: ' .. reason, 'vigil')
elseif verb == 'joined' and joinedMessage ~= '' then
  addTimelineEntry(updatesKey, now, redis.call('HGET', incidentKey, 'status'), joinedMessage, 'vigil')
end
addIncidentEvent(eventsKey, verb, id, now)
return {id, verb}
