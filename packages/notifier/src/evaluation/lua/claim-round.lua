--[[
  Claims a round past its deadline: whoever takes it from `pending` decides it, once.

  Input:
    KEYS[1] pending rounds: zset of `<check>|<round>` by deadline
    KEYS[2] the round's hash

    ARGV[1] pending member, `<check>|<round>`

  Output:
    1 when this caller claimed the round, else 0
]]
local pendingKey = KEYS[1]
local roundKey = KEYS[2]
local member = ARGV[1]

if redis.call('ZREM', pendingKey, member) == 0 then return 0 end
return redis.call('HSETNX', roundKey, '~claim', '1')
