--[[
  Claims a round past its deadline: whoever takes it from `pending` decides it, once.

  Input:
    KEYS[1] pending rounds: zset of `<check>|<round>` by deadline
    KEYS[2] the round's hash

    ARGV[1] pending member, `<check>|<round>`

  Output:
    {vantage, outcome JSON, …}: every outcome of the round, when this caller claimed it
    0 when another caller had it
]]
local pendingKey = KEYS[1]
local roundKey = KEYS[2]
local member = ARGV[1]

if redis.call('ZREM', pendingKey, member) == 0 then return 0 end
if redis.call('HSETNX', roundKey, '~claim', '1') == 0 then return 0 end
local all = redis.call('HGETALL', roundKey)
local outcomes = {}
for i = 1, #all, 2 do
  if all[i] ~= '~claim' then
    table.insert(outcomes, all[i])
    table.insert(outcomes, all[i + 1])
  end
end
return outcomes
