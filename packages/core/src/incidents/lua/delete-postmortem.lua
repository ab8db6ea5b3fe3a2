--[[
  Removes the postmortem of an incident, with a `postmortem` event as for publishing.

  Input:
    KEYS[1] incident hash
    KEYS[2] incident postmortem hash
    KEYS[3] incident event stream

    ARGV[1] incident id
    ARGV[2] who removes it
    ARGV[3] now, epoch ms

  Output:
    'deleted', 'none' when there was no postmortem, or 'missing' when there is no such incident
]]
local incidentKey = KEYS[1]
local postmortemKey = KEYS[2]
local eventsKey = KEYS[3]
local id = ARGV[1]
local by = ARGV[2]
local now = ARGV[3]

--- @include "includes/add-incident-event"

if redis.call('EXISTS', incidentKey) == 0 then return 'missing' end
if redis.call('DEL', postmortemKey) == 0 then return 'none' end
addIncidentEvent(eventsKey, 'postmortem', id, now, by)
return 'deleted'
