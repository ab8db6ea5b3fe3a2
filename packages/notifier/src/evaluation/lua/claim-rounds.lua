--[[
  Claims pending entries past their deadline, oldest first, until `limit` rounds are claimed: whoever
  takes an entry from `pending` decides its rounds that are still undecided, once. An entry is
  `|<check>|<round>…`, the rounds one call booked first with that deadline (core's
  results/lua/includes/book-outcome.lua), or `<check>|<round>`, one round, the form before. A round
  that completed meanwhile (its book gone, or `~` from a version before) is passed over and does not
  count toward `limit`: completing a round does not take it out of its entry. A
  round claimed has its book deleted and `~a`, the last round decided, raised to it: its late outcomes
  are turned away. Entries are taken whole; those after the limit is reached stay in `pending`.

  Input:
    KEYS[1] pending rounds: zset of entries by deadline
    KEYS[2…] for each round of each entry, in order: its check's latest hash, which holds the round's
      book and `~a` (see core's add-round-outcomes.lua)

    ARGV[1] limit: rounds to claim at most (the entry that reaches it is claimed whole)
    ARGV[2] n, the number of entries
    ARGV[3…2+n] the entries
    ARGV[3+n…2+2n] each entry's number of rounds
    ARGV[3+2n…] for each round of each entry, in order: the book's field, `~b<round>`

  Output:
    one reply per entry reached, in order (entries after the limit are not reached, and not listed):
    0 when another caller had the entry or none of its rounds was claimed, else one reply per round
    of it: its book,
    `\n<vantage>\t<outcome JSON>…`, when this caller claimed it; 0 when it was decided or being
    decided already (or its hash is unreadable)
]]
local pendingKey = KEYS[1]
local limit = tonumber(ARGV[1])
local n = tonumber(ARGV[2])

local claimed = 0
local at = 1 -- the last round's index among KEYS[2…] and ARGV[3+2n…], before the entry
local replies = {}
for e = 1, n do
  if claimed >= limit then break end
  local count = tonumber(ARGV[2 + n + e])
  if redis.call('ZREM', pendingKey, ARGV[2 + e]) == 0 then
    replies[e] = 0
  else
    -- Most rounds completed by their last vantage before the deadline: one HGET each (a string
    -- or nil, no table), and an entry's reply table made only once one of its rounds is claimed.
    local rounds
    for j = 1, count do
      local latestKey, field = KEYS[at + j], ARGV[2 + 2 * n + at + j - 1]
      local book = redis.pcall('HGET', latestKey, field)
      if type(book) == 'string' and book ~= '~' then
        redis.call('HDEL', latestKey, field)
        -- `~a` unreadable (not a number) counts as nothing decided yet: never an error once claimed.
        local round = tonumber(string.sub(field, 3)) or -1
        if round > (tonumber(redis.call('HGET', latestKey, '~a') or '-1') or -1) then
          redis.call('HSET', latestKey, '~a', round)
        end
        if not rounds then
          rounds = {}
          for i = 1, j - 1 do rounds[i] = 0 end
        end
        rounds[j] = string.sub(book, 2)
        claimed = claimed + 1
      elseif rounds then
        rounds[j] = 0
      end
    end
    replies[e] = rounds or 0
  end
  at = at + count
end
return replies
