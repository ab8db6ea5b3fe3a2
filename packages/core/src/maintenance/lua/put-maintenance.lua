--[[
  Creates or replaces a maintenance, and bumps the version only when the stored JSON changed, so a
  poller comparing versions never misses a change and never reloads for nothing.

  Input:
    KEYS[1] maintenances: id → Maintenance JSON
    KEYS[2] maintenances version counter

    ARGV[1] maintenance id
    ARGV[2] canonical Maintenance JSON (equal maintenances are equal strings)

  Output:
    0 unchanged
    1 created
    2 updated
]]
local maintenancesKey = KEYS[1]
local versionKey = KEYS[2]
local id = ARGV[1]
local json = ARGV[2]

local previous = redis.call('HGET', maintenancesKey, id)
if previous == json then return 0 end
redis.call('HSET', maintenancesKey, id, json)
redis.call('INCR', versionKey)
if previous then return 2 end
return 1
