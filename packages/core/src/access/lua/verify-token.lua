--[[
  Looks a presented token up by its hash and returns its record, in one round trip: the API
  verifies a token on every request.

  Input:
    KEYS[1] tokens by hash: SHA-256 of a token → its id
    KEYS[2] tokens: token id → ApiToken JSON

    ARGV[1] the SHA-256 of the presented token

  Output:
    The token's record JSON, or nil for an unknown (or revoked) token.
]]
local byHashKey = KEYS[1]
local tokensKey = KEYS[2]
local hash = ARGV[1]

local id = redis.call('HGET', byHashKey, hash)
if not id then return false end
return redis.call('HGET', tokensKey, id)
