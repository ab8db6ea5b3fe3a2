--[[
  Renews the leader lease, only while this process still holds it.

  Input:
    KEYS[1] the lease: holder id, with a TTL

    ARGV[1] holder id
    ARGV[2] TTL, ms

  Output:
    1 renewed
    0 held by another process, or free
]]
local leaseKey = KEYS[1]
local holder = ARGV[1]
local ttlMs = ARGV[2]

if redis.call('GET', leaseKey) == holder then
  return redis.call('PEXPIRE', leaseKey, ttlMs)
end
return 0
