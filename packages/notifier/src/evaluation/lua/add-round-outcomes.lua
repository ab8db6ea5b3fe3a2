--[[
  Adds a batch of vantages' outcomes to their rounds, in order, each unless its round was decided
  already. The caller whose outcome completes a round claims it and gets every outcome of the round
  back; until then the round waits in `pending` for its deadline.

  A round's book is one field of its check's latest hash (`~b<round>`), not a key of its own: an
  outcome costs one HMGET and one HSET, and a round no key made, expired and deleted. The book is a
  byte (how many outcomes) then `\n<vantage>\t<outcome JSON>` per outcome (JSON escapes tabs and
  newlines), or `~` once the round is being decided; applying the round deletes the field and sets
  the latest hash's `~a` to the round (see apply-verdicts.lua).

  Input:
    KEYS[1] pending rounds: zset of `<check>|<round>` by deadline
    KEYS[2…] for each outcome in turn: its check's latest hash (see core's record-results.lua), then
      its check's state hash (read only while the latest hash has no `~a`, as before the books
      moved there)

    ARGV[1…] for each outcome in turn, six: vantage; RoundOutcome JSON; round (epoch ms); deadline
      (epoch ms); vantages expected; pending member `<check>|<round>`

  Output:
    One reply per outcome, in order (a table only for a complete round: a table an outcome costs
    Lua more than the outcome's Redis calls):
    0 late: the round was applied or claimed already
    1 waiting for more vantages
    {2, book}: complete and claimed by this caller, with every outcome of the round as
      `\n<vantage>\t<outcome JSON>…` (so deciding it needs no second read)
]]
local pendingKey = KEYS[1]

local function add(latestKey, stateKey, vantage, outcomeJson, roundArg, deadline, expected, member)
  local round = tonumber(roundArg)
  local field = '~b' .. roundArg
  local f = redis.call('HMGET', latestKey, '~a', field)
  local applied = f[1] or redis.call('HGET', stateKey, 'lastRound') or '-1'
  if round <= tonumber(applied) then return 0 end
  local book = f[2]
  local count = 0
  local entry = '\n' .. vantage .. '\t'
  if book then
    if book == '~' then return 0 end
    -- A vantage's outcome counts once; the first one stays.
    if string.find(book, entry, 2, true) then return 1 end
    count = string.byte(book, 1)
    book = string.sub(book, 2) .. entry .. outcomeJson
  else
    book = entry .. outcomeJson
  end
  count = count + 1
  if count >= expected then
    redis.call('HSET', latestKey, field, '~')
    if count > 1 then redis.call('ZREM', pendingKey, member) end
    return { 2, book }
  end
  redis.call('HSET', latestKey, field, string.char(count) .. book)
  if count == 1 then redis.call('ZADD', pendingKey, 'NX', deadline, member) end
  return 1
end

local replies = {}
for i = 0, (#KEYS - 1) / 2 - 1 do
  local a = 6 * i
  replies[i + 1] = add(KEYS[2 + 2 * i], KEYS[3 + 2 * i], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4],
    tonumber(ARGV[a + 5]), ARGV[a + 6])
end
return replies
