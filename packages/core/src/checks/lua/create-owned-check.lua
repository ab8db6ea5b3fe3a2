--[[
  Creates a check on behalf of an owner, within the owner's quota, in one step so two concurrent
  requests cannot both take the last slot. The caller forgets any data left under the id, then
  announces the change (CheckRegistry.createOwned): no result of the new check is recorded before.

  Input:
    KEYS[1] checks: check id → the stored check (stored-check.ts: compact bytes)
    KEYS[2] the owner's set of check ids

    ARGV[1] check id
    ARGV[2] the check's stored value (bytes, stored as given)
    ARGV[3] most checks the owner may have

  Output:
     1 created
    -1 the id is taken
    -2 the owner is at the quota
]]
local checksKey = KEYS[1]
local ownerKey = KEYS[2]
local id = ARGV[1]
local value = ARGV[2]
local maxChecks = tonumber(ARGV[3])

if redis.call('HEXISTS', checksKey, id) == 1 then return -1 end
if redis.call('SCARD', ownerKey) >= maxChecks then return -2 end
redis.call('HSET', checksKey, id, value)
redis.call('SADD', ownerKey, id)
return 1
