--[[
  Resolves an incident: its status, its place among the open ones, a timeline entry and the
  `resolved` event. `k` holds its keys: `incident`, `updates`, `open` and `events`.
]]
--- @include "add-timeline-entry"
--- @include "add-incident-event"

local function markResolved(k, id, at, by, message)
  redis.call('HSET', k.incident, 'status', 'resolved', 'resolvedAt', at, 'resolvedBy', by)
  redis.call('ZREM', k.open, id)
  addTimelineEntry(k.updates, at, 'resolved', message, by)
  addIncidentEvent(k.events, 'resolved', id, at, by)
end
