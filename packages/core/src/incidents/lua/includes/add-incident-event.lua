--[[
  Adds an event to the incident stream the notifier pages from; `by` defaults to 'vigil'.
]]
local function addIncidentEvent(eventsKey, kind, id, at, by)
  redis.call('XADD', eventsKey, 'MAXLEN', '~', '10000', '*', 'type', kind, 'id', id, 'at', at, 'by', by or 'vigil')
end
