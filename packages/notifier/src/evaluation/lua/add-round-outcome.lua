--[[
  Adds one vantage's outcome to its round, unless the round was decided already. The caller whose
  outcome completes the round claims it; until then the round waits in `pending` for its deadline.

  Input:
    KEYS[1] the round's hash: vantage → outcome JSON, and `~claim` once it is being decided
    KEYS[2] the check's state hash
    KEYS[3] pending rounds: zset of `<check>|<round>` by deadline

    ARGV[1] vantage
    ARGV[2] RoundOutcome JSON
    ARGV[3] round, epoch ms
    ARGV[4] deadline, epoch ms
    ARGV[5] vantages expected
    ARGV[6] TTL of the round's hash, ms
    ARGV[7] pending member, `<check>|<round>`

  Output:
    {0} late: the round was applied or claimed already
    {1} waiting for more vantages
    {2, vantage, outcome JSON, …} complete and claimed by this caller, with every outcome of the
      round (so deciding it needs no second read)
]]
local roundKey = KEYS[1]
local stateKey = KEYS[2]
local pendingKey = KEYS[3]
local vantage = ARGV[1]
local outcomeJson = ARGV[2]
local round = tonumber(ARGV[3])
local deadline = ARGV[4]
local expected = tonumber(ARGV[5])
local ttlMs = ARGV[6]
local member = ARGV[7]

if round <= tonumber(redis.call('HGET', stateKey, 'lastRound') or '-1') then return {0} end
if redis.call('HEXISTS', roundKey, '~claim') == 1 then return {0} end
redis.call('HSET', roundKey, vantage, outcomeJson)
redis.call('PEXPIRE', roundKey, ttlMs)
if redis.call('HLEN', roundKey) >= expected then
  local outcomes = redis.call('HGETALL', roundKey)
  redis.call('HSET', roundKey, '~claim', '1')
  redis.call('ZREM', pendingKey, member)
  table.insert(outcomes, 1, 2)
  return outcomes
end
redis.call('ZADD', pendingKey, 'NX', deadline, member)
return {1}
