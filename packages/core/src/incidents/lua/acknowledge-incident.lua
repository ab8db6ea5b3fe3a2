--[[
  Acknowledges an incident: the first acknowledgement wins, with a timeline entry and an
  `acknowledged` event; later ones, and those of a resolved incident, change nothing.

  Input:
    KEYS[1] incident hash
    KEYS[2] incident timeline
    KEYS[3] incident event stream

    ARGV[1] incident id
    ARGV[2] who acknowledges
    ARGV[3] now, epoch ms

  Output:
    'acknowledged', 'already', 'resolved', or 'missing' when there is no such incident
]]
local incidentKey = KEYS[1]
local updatesKey = KEYS[2]
local eventsKey = KEYS[3]
local id = ARGV[1]
local by = ARGV[2]
local now = ARGV[3]

--- @include "includes/add-timeline-entry"
--- @include "includes/add-incident-event"

local status = redis.call('HGET', incidentKey, 'status')
if not status then return 'missing' end
if status == 'resolved' then return 'resolved' end
if redis.call('HEXISTS', incidentKey, 'acknowledgedAt') == 1 then return 'already' end
redis.call('HSET', incidentKey, 'acknowledgedAt', now, 'acknowledgedBy', by)
addTimelineEntry(updatesKey, now, status, 'Acknowledged by ' .. by .. '.', by)
addIncidentEvent(eventsKey, 'acknowledged', id, now, by)
return 'acknowledged'
