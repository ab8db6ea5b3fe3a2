--[[
  A human update of an incident: a status and a message on its timeline, with an `updated` event.
  A `resolved` update resolves it; a resolved incident takes no other.

  Input:
    KEYS[1] incident hash
    KEYS[2] incident timeline
    KEYS[3] open incidents: zset of ids by start
    KEYS[4] incident event stream

    ARGV[1] incident id
    ARGV[2] who writes
    ARGV[3] now, epoch ms
    ARGV[4] new status
    ARGV[5] message

  Output:
    'updated', 'resolved' when the incident is resolved and the update is not, or 'missing' when
    there is no such incident
]]
local k = {incident = KEYS[1], updates = KEYS[2], open = KEYS[3], events = KEYS[4]}
local id = ARGV[1]
local by = ARGV[2]
local now = ARGV[3]
local newStatus = ARGV[4]
local message = ARGV[5]

--- @include "includes/add-timeline-entry"
--- @include "includes/add-incident-event"
--- @include "includes/mark-resolved"

local status = redis.call('HGET', k.incident, 'status')
if not status then return 'missing' end
if status == 'resolved' and newStatus ~= 'resolved' then return 'resolved' end
if newStatus == 'resolved' and status ~= 'resolved' then
  markResolved(k, id, now, by, message)
  return 'updated'
end
redis.call('HSET', k.incident, 'status', newStatus)
addTimelineEntry(k.updates, now, newStatus, message, by)
addIncidentEvent(k.events, 'updated', id, now, by)
return 'updated'
