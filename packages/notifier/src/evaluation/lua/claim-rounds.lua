--[[
  Claims a pending entry past its deadline: whoever takes it from `pending` decides its rounds that
  are still undecided, once. An entry is `|<check>|<round>…`, the rounds one call booked first with
  that deadline (core's results/lua/includes/book-outcome.lua), or `<check>|<round>`, one round, the
  form before. A round that completed meanwhile (its book gone, or `~` from a version before) is
  passed over: completing a round does not take it out of its entry. A round claimed has its book
  deleted and `~a`, the last round decided, raised to it: its late outcomes are turned away.

  Input:
    KEYS[1] pending rounds: zset of entries by deadline
    KEYS[2…] for each round of the entry, in its order: its check's latest hash, which holds the
      round's book and `~a` (see core's add-round-outcomes.lua)

    ARGV[1] the pending entry
    ARGV[2…] for each round of the entry, in its order: the book's field, `~b<round>` (the round
      after its `~b`)

  Output:
    0 when another caller had the entry
    else one reply per round, in order: its book, `\n<vantage>\t<outcome JSON>…`, when this caller
    claimed it; 0 when it was decided or being decided already
]]
local pendingKey = KEYS[1]

if redis.call('ZREM', pendingKey, ARGV[1]) == 0 then return 0 end
local replies = {}
for i = 2, #KEYS do
  local latestKey, field = KEYS[i], ARGV[i]
  local f = redis.call('HMGET', latestKey, field, '~a')
  local book = f[1]
  if book and book ~= '~' then
    redis.call('HDEL', latestKey, field)
    local round = string.sub(field, 3)
    if tonumber(round) > tonumber(f[2] or '-1') then redis.call('HSET', latestKey, '~a', round) end
    replies[i - 1] = string.sub(book, 2)
  else
    replies[i - 1] = 0
  end
end
return replies
