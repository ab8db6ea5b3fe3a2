--[[
  Adds a batch of vantages' outcomes to their rounds, in order, each unless its round was decided
  already (see includes/book-outcome.lua): for outcomes of results recorded elsewhere (heartbeats);
  record-results.lua books a probe's outcome as it records the result. The caller whose outcome
  completes a round claims it and gets every outcome of the round back; until then the round waits
  in `pending` for its deadline.

  Input:
    KEYS[1] pending rounds: zset by deadline of `|<check>|<round>…`, the rounds first booked by one
      call with that deadline (includes/book-outcome.lua)
    KEYS[2…] for each outcome in turn: its check's latest hash (`~a`, `~b<round>`), then its check's
      state hash (read only while the latest hash has no `~a`)

    ARGV[1…] for each outcome in turn, six: vantage; RoundOutcome JSON; round (epoch ms); deadline
      (epoch ms); vantages expected; the round as `<check>|<round>`

  Output:
    One reply per outcome, in order (a table only for a complete round: a table an outcome costs
    Lua more than the outcome's Redis calls):
    0 late: the round was applied or claimed already
    1 waiting for more vantages
    {2, book}: complete and claimed by this caller, with every outcome of the round as
      `\n<vantage>\t<outcome JSON>…` (so deciding it needs no second read)
    or an error `outcome <n>: <message>` for one that cannot be added: those before it stay added,
    and their rounds in `pending`
]]
--- @include "includes/book-outcome"

local pendingKey = KEYS[1]

local function add(latestKey, stateKey, vantage, outcomeJson, roundArg, deadline, expected, member)
  local field = '~b' .. roundArg
  local f = redis.call('HMGET', latestKey, '~a', field)
  local reply, value, at = bookOutcome(pendingKey, stateKey, f[1], f[2], vantage, outcomeJson, tonumber(roundArg),
    deadline, expected, member, latestKey, field)
  if value then redis.call('HSET', latestKey, at, value) end
  return reply
end

local replies = {}
for i = 0, (#KEYS - 1) / 2 - 1 do
  local a = 6 * i
  -- An error raised partway must not skip the pending entries of the rounds booked before it.
  local ok, reply = pcall(add, KEYS[2 + 2 * i], KEYS[3 + 2 * i], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4],
    tonumber(ARGV[a + 5]), ARGV[a + 6])
  if not ok then
    flushPending()
    return redis.error_reply('outcome ' .. (i + 1) .. ': ' .. errorText(reply))
  end
  replies[i + 1] = reply
end
flushPending()
return replies
