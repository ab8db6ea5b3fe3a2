--[[
  Looks a presented token up by its hash and returns its record, in one round trip: the API
  verifies a token on every request. Notes when the token was last used, at most once per
  ARGV[3] ms, so a busy token costs a read here and no extra write per request.

  Input:
    KEYS[1] tokens by hash: SHA-256 of a token → its id
    KEYS[2] tokens: token id → ApiToken JSON
    KEYS[3] tokens' last use: token id → ms

    ARGV[1] the SHA-256 of the presented token
    ARGV[2] now, ms
    ARGV[3] the least time between two notes of one token's use, ms

  Output:
    The token's record JSON, or nil for an unknown (or revoked) token.
]]
local byHashKey = KEYS[1]
local tokensKey = KEYS[2]
local lastUsedKey = KEYS[3]
local hash = ARGV[1]
local now = tonumber(ARGV[2])
local every = tonumber(ARGV[3])

local id = redis.call('HGET', byHashKey, hash)
if not id then return false end
local record = redis.call('HGET', tokensKey, id)
if not record then return false end
local last = tonumber(redis.call('HGET', lastUsedKey, id) or '')
if last == nil or now - last >= every then
  redis.call('HSET', lastUsedKey, id, now)
end
return record
