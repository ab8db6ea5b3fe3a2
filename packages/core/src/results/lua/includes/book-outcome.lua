--[[
  A vantage's outcome for a round, into the round's book: one field of the check's latest hash,
  `~b<round>`, not a key a round. The book is a byte (how many outcomes) then
  `\n<vantage>\t<outcome JSON>` per outcome (JSON escapes tabs and newlines). The outcome that
  completes the round claims it: its book is deleted and the hash's `~a`, the last round decided
  (its outcomes turned away from now on), set to the round, as the deadline sweep does (the
  notifier's claim-rounds.lua); `~` is a book claimed by a version before (it deleted the book and
  set `~a` when it applied the round). The caller reads `~a` and the book with its own HMGET and
  writes with its own HSET: this returns the reply, then the value to write and its field (nil:
  nothing), the book's or `~a`.
  Replies: 0 late (the round was applied or claimed already), 1 waiting for more vantages,
  {2, `\n<vantage>\t<outcome JSON>…`} complete and claimed by this caller.

  A round's first outcome puts it in the pending rounds for its deadline, not one member a round:
  rounds first booked by one call with the same deadline share one member, `|<check>|<round>…`
  (noted here; the caller calls flushPending() once, last, also before returning an error), and a round that completes is not
  taken out of it: the deadline sweep (the notifier's claim-rounds.lua) passes over a round whose
  book is gone or `~`. A ZADD and a ZREM a round on a zset of thousands cost more than the sweep's
  HGET. A member `<check>|<round>` of one round is the form before (still claimed the same way).
]]

-- Members first booked by this call, by deadline, the deadlines in the order first met, and the
-- pending rounds key (the same for a whole call).
local pendingByDeadline = {}
local pendingDeadlines = {}
local pendingAt = nil

local function notePending(pendingKey, deadline, member)
  pendingAt = pendingKey
  local members = pendingByDeadline[deadline]
  if members then
    members[#members + 1] = member
  else
    pendingByDeadline[deadline] = { member }
    pendingDeadlines[#pendingDeadlines + 1] = deadline
  end
end

-- One ZADD per deadline met: the rounds this call booked first, as one member. Called once, last.
local function flushPending()
  for _, deadline in ipairs(pendingDeadlines) do
    redis.call('ZADD', pendingAt, deadline, '|' .. table.concat(pendingByDeadline[deadline], '|'))
  end
end

-- The text of an error caught by pcall: Redis raises a command's error as a table `{err = …}`.
local function errorText(err)
  if type(err) == 'table' then return tostring(err.err) end
  return tostring(err)
end

-- A vantage's outcome added to its round's book, written nowhere: bookOutcome writes it for one
-- result, and a check's results recorded together (record-results.lua's recordGroup) once for them
-- all (only to a book found when it read the check: a round with none, it counts their outcomes). A
-- vantage's outcome counts once; the first one stays. `applied` is the last round decided (a
-- number), `book` the book as it stands (nil: none).
-- Returns the reply (0 late, 1 waiting, {2, book} complete), then the book after it (nil: complete).
-- Each string made once (one concatenation of all its parts): a book's strings are its size, and a
-- string made costs Lua ~3 ns a byte besides its ~0.15 µs.
local function addOutcome(applied, book, vantage, outcomeJson, round, expected)
  if round <= applied then return 0, book end
  if not book then
    if expected <= 1 then return { 2, '\n' .. vantage .. '\t' .. outcomeJson }, nil end
    return 1, '\1\n' .. vantage .. '\t' .. outcomeJson
  end
  if book == '~' then return 0, book end
  local entry = '\n' .. vantage .. '\t'
  if string.find(book, entry, 2, true) then return 1, book end
  local count = string.byte(book, 1) + 1
  if count >= expected then return { 2, string.sub(book, 2) .. entry .. outcomeJson }, nil end
  return 1, string.char(count) .. string.sub(book, 2) .. entry .. outcomeJson
end

local function bookOutcome(pendingKey, stateKey, applied, book, vantage, outcomeJson, round, deadline, expected, member,
    latestKey, bookField)
  -- Before `~a` existed, the state's own `lastRound` said which round was applied last.
  applied = applied or redis.call('HGET', stateKey, 'lastRound') or '-1'
  local reply, after = addOutcome(tonumber(applied), book, vantage, outcomeJson, round, expected)
  if type(reply) == 'table' then
    -- A stored book completed: deleted (the round's first outcome completing it stored none).
    if book then redis.call('HDEL', latestKey, bookField) end
    return reply, string.format('%d', round), '~a'
  end
  -- Late, or the vantage's outcome in the book already: nothing to write.
  if after == book then return reply end
  if not book then notePending(pendingKey, deadline, member) end
  return 1, after, bookField
end
