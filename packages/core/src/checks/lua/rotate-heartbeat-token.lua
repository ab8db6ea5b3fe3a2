--[[
  Gives a heartbeat check a new ping token: the old one stops working in the same step. The first
  token starts the check's watch (`since`): before it, no job could ping.

  Input:
    KEYS[1] heartbeat tokens: SHA-256 of a token → check id
    KEYS[2] heartbeat states: check id → state JSON

    ARGV[1] check id
    ARGV[2] the SHA-256 of the new token
    ARGV[3] now, epoch ms

  Output:
    1
]]
local tokensKey, statesKey = KEYS[1], KEYS[2]
local id, hash, now = ARGV[1], ARGV[2], tonumber(ARGV[3])

local raw = redis.call('HGET', statesKey, id)
local state = raw and cjson.decode(raw) or {}
if state.token then redis.call('HDEL', tokensKey, state.token) end
state.token = hash
if not state.since then state.since = now end
redis.call('HSET', tokensKey, hash, id)
redis.call('HSET', statesKey, id, cjson.encode(state))
return 1
