--[[
  Forgets a deleted check's pings: its token stops working, its state and last message go.

  Input:
    KEYS[1] heartbeat tokens: SHA-256 of a token → check id
    KEYS[2] heartbeat states: check id → state JSON
    KEYS[3] heartbeat messages: check id → last message

    ARGV[1] check id

  Output:
    1 when the check had pings' state, else 0
]]
local tokensKey, statesKey, messagesKey = KEYS[1], KEYS[2], KEYS[3]
local id = ARGV[1]

local raw = redis.call('HGET', statesKey, id)
if not raw then return 0 end
local state = cjson.decode(raw)
if state.token then redis.call('HDEL', tokensKey, state.token) end
redis.call('HDEL', statesKey, id)
redis.call('HDEL', messagesKey, id)
return 1
