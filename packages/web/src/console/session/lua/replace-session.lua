--[[
  Replaces a console session only if it is still as the caller read it, keeping it to its expiry:
  a switch of owner and the idle renewal of a concurrent request never undo each other.

  Input:
    KEYS[1] the session, JSON

    ARGV[1] the session as the caller read it
    ARGV[2] the session to store
    ARGV[3] its TTL, ms

  Output:
    1 replaced
    0 the session changed or ended since it was read
]]
local sessionKey = KEYS[1]
local expected = ARGV[1]
local replacement = ARGV[2]
local ttlMs = ARGV[3]

if redis.call('GET', sessionKey) ~= expected then
  return 0
end
redis.call('SET', sessionKey, replacement, 'PX', ttlMs)
return 1
