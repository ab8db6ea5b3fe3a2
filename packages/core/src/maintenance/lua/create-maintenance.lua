--[[
  Adds a maintenance unless its id is taken, and bumps the version only then, so a poller comparing
  versions never misses a change and never reloads for nothing.

  Input:
    KEYS[1] maintenances: id → Maintenance JSON
    KEYS[2] maintenances version counter

    ARGV[1] maintenance id
    ARGV[2] canonical Maintenance JSON

  Output:
    1 created
    0 the id is taken
]]
local maintenancesKey = KEYS[1]
local versionKey = KEYS[2]
local id = ARGV[1]
local json = ARGV[2]

if redis.call('HSETNX', maintenancesKey, id, json) == 0 then return 0 end
redis.call('INCR', versionKey)
return 1
