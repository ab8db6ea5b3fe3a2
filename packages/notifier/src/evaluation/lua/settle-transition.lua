--[[
  Removes a transition from the outbox once acted on, unless a newer one replaced it meanwhile.

  Input:
    KEYS[1] transitions outbox: check id → transition JSON

    ARGV[1] check id
    ARGV[2] round of the transition acted on, epoch ms

  Output:
    0
]]
local transitionsKey = KEYS[1]
local checkId = ARGV[1]
local round = tonumber(ARGV[2])

local t = redis.call('HGET', transitionsKey, checkId)
if t and cjson.decode(t).round == round then redis.call('HDEL', transitionsKey, checkId) end
return 0
