--[[
  Appends an entry to an incident's timeline (a list of IncidentUpdate JSON, oldest first).
]]
local function addTimelineEntry(updatesKey, at, status, message, by)
  redis.call('RPUSH', updatesKey, cjson.encode({at = tonumber(at), status = status, message = message, by = by}))
end
