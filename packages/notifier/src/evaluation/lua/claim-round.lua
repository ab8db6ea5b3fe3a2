--[[
  Claims a round past its deadline: whoever takes it from `pending` decides it, once.

  Input:
    KEYS[1] pending rounds: zset of `<check>|<round>` by deadline
    KEYS[2] the round's check's latest hash, which holds the round's book (see add-round-outcomes.lua)

    ARGV[1] pending member, `<check>|<round>`
    ARGV[2] the book's field, `~b<round>`

  Output:
    The book, `\n<vantage>\t<outcome JSON>…` ('' when it holds none), when this caller claimed it
    0 when another caller had it
]]
local pendingKey = KEYS[1]
local latestKey = KEYS[2]
local member = ARGV[1]
local field = ARGV[2]

if redis.call('ZREM', pendingKey, member) == 0 then return 0 end
local book = redis.call('HGET', latestKey, field)
if book == '~' then return 0 end
if not book then return '' end
redis.call('HSET', latestKey, field, '~')
return string.sub(book, 2)
