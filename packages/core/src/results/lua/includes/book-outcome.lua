--[[
  A vantage's outcome for a round, into the round's book: one field of the check's latest hash,
  `~b<round>`, not a key a round. The book is a byte (how many outcomes) then
  `\n<vantage>\t<outcome JSON>` per outcome (JSON escapes tabs and newlines), or `~` once the round
  is being decided; applying the round deletes the field and sets the hash's `~a` to the round (the
  notifier's apply-verdicts.lua). The caller reads `~a` and the book with its own HMGET and writes
  the field with its own HSET: this returns the reply, then the book's new value (nil: unchanged).
  Replies: 0 late (the round was applied or claimed already), 1 waiting for more vantages,
  {2, `\n<vantage>\t<outcome JSON>…`} complete and claimed by this caller.
]]

local function bookOutcome(pendingKey, stateKey, applied, book, vantage, outcomeJson, round, deadline, expected, member)
  -- Before `~a` existed, the state's own `lastRound` said which round was applied last.
  applied = applied or redis.call('HGET', stateKey, 'lastRound') or '-1'
  if round <= tonumber(applied) then return 0 end
  local entry = '\n' .. vantage .. '\t'
  local count = 0
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
    if count > 1 then redis.call('ZREM', pendingKey, member) end
    return { 2, book }, '~'
  end
  if count == 1 then redis.call('ZADD', pendingKey, 'NX', deadline, member) end
  return 1, string.char(count) .. book
end
