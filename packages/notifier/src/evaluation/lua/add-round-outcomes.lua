--[[
  Adds a batch of vantages' outcomes to their rounds, in order, each unless its round was decided
  already. The caller whose outcome completes a round claims it and gets every outcome of the round
  back; until then the round waits in `pending` for its deadline.

  Input:
    KEYS[1] pending rounds: zset of `<check>|<round>` by deadline
    KEYS[2…] for each outcome in turn: its round's hash (vantage → outcome JSON, and `~claim` once
      the round is being decided), then its check's state hash

    ARGV[1…] for each outcome in turn, seven: vantage; RoundOutcome JSON; round (epoch ms); deadline
      (epoch ms); vantages expected; TTL of the round's hash (ms); pending member `<check>|<round>`

  Output:
    One reply per outcome, in order (a table only for a complete round: a table an outcome costs
    Lua more than the outcome's Redis calls):
    0 late: the round was applied or claimed already
    1 waiting for more vantages
    {2, vantage, outcome JSON, …} complete and claimed by this caller, with every outcome of the
      round (so deciding it needs no second read)
]]
local pendingKey = KEYS[1]

local function add(roundKey, stateKey, vantage, outcomeJson, round, deadline, expected, ttlMs, member)
  if round <= tonumber(redis.call('HGET', stateKey, 'lastRound') or '-1') then return 0 end
  if redis.call('HEXISTS', roundKey, '~claim') == 1 then return 0 end
  redis.call('HSET', roundKey, vantage, outcomeJson)
  -- The round's first outcome sets its TTL and its deadline; the others leave them as they are.
  local count = redis.call('HLEN', roundKey)
  if count == 1 then redis.call('PEXPIRE', roundKey, ttlMs) end
  if count >= expected then
    local outcomes = redis.call('HGETALL', roundKey)
    redis.call('HSET', roundKey, '~claim', '1')
    redis.call('ZREM', pendingKey, member)
    table.insert(outcomes, 1, 2)
    return outcomes
  end
  if count == 1 then redis.call('ZADD', pendingKey, 'NX', deadline, member) end
  return 1
end

local replies = {}
for i = 0, (#KEYS - 1) / 2 - 1 do
  local a = 7 * i
  replies[i + 1] = add(KEYS[2 + 2 * i], KEYS[3 + 2 * i], ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3]), ARGV[a + 4],
    tonumber(ARGV[a + 5]), ARGV[a + 6], ARGV[a + 7])
end
return replies
