--[[
  Removes a maintenance, and bumps the version only when there was one.

  Input:
    KEYS[1] maintenances: id → Maintenance JSON
    KEYS[2] maintenances version counter

    ARGV[1] maintenance id

  Output:
    1 deleted
    0 there was none
]]
local maintenancesKey = KEYS[1]
local versionKey = KEYS[2]
local id = ARGV[1]

if redis.call('HDEL', maintenancesKey, id) == 0 then return 0 end
redis.call('INCR', versionKey)
return 1
