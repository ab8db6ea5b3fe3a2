--[[
  Resolves an incident by hand, once: its status, a timeline entry and the `resolved` event.

  Input:
    KEYS[1] incident hash
    KEYS[2] incident timeline
    KEYS[3] open incidents: zset of ids by start
    KEYS[4] incident event stream

    ARGV[1] incident id
    ARGV[2] who resolves
    ARGV[3] now, epoch ms
    ARGV[4] timeline entry

  Output:
    'resolved', 'already', or 'missing' when there is no such incident
]]
local k = {incident = KEYS[1], updates = KEYS[2], open = KEYS[3], events = KEYS[4]}
local id = ARGV[1]
local by = ARGV[2]
local now = ARGV[3]
local message = ARGV[4]

--- @include "includes/mark-resolved"

local status = redis.call('HGET', k.incident, 'status')
if not status then return 'missing' end
if status == 'resolved' then return 'already' end
markResolved(k, id, now, by, message)
return 'resolved'
