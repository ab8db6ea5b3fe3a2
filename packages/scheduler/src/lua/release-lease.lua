--[[
  Releases the leader lease, only while this process still holds it.

  Input:
    KEYS[1] the lease: holder id, with a TTL

    ARGV[1] holder id

  Output:
    1 released
    0 held by another process, or free
]]
local leaseKey = KEYS[1]
local holder = ARGV[1]

if redis.call('GET', leaseKey) == holder then
  return redis.call('DEL', leaseKey)
end
return 0
