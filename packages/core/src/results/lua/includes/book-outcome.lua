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

local function bookOutcome(pendingKey, stateKey, applied, book, vantage, outcomeJson, round, deadline, expected, member,
    latestKey, bookField)
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
    if count > 1 then redis.call('HDEL', latestKey, bookField) end
    return { 2, book }, string.format('%d', round), '~a'
  end
  if count == 1 then notePending(pendingKey, deadline, member) end
  return 1, string.char(count) .. book, bookField
end

-- The books of a check's results recorded together (record-results.lua's recordGroup): `add` decides
-- each outcome as bookOutcome would, in turn, on the books as they stand after the ones before, and
-- `finish` puts what is left to write into the caller's HSET list `set`: a book still waiting (its
-- pending member noted when first booked here), `~a` for a round completed. A round completed here
-- never has its book written, nor a pending member; one whose book was stored before has it deleted.
-- `applied` is `~a` as read (nil: the state's `lastRound`), `fields` the books' fields in the order
-- first met and `stored` their values read (false: none).
local function groupBook(applied, stateKey, fields, stored)
  local last = tonumber(applied or redis.call('HGET', stateKey, 'lastRound') or '-1')
  local books, firstBooked, decided = {}, {}, nil
  for _, field in ipairs(fields) do books[field] = stored[field] or nil end
  local group = {}
  function group.add(vantage, outcomeJson, round, deadline, expected, member, field)
    if round <= last then return 0 end
    local book = books[field]
    local entry = '\n' .. vantage .. '\t'
    local count = 0
    if book then
      if book == '~' then return 0 end
      if string.find(book, entry, 2, true) then return 1 end
      count = string.byte(book, 1)
      book = string.sub(book, 2) .. entry .. outcomeJson
    else
      book = entry .. outcomeJson
    end
    count = count + 1
    if count >= expected then
      books[field] = nil
      last = round
      decided = string.format('%d', round)
      return { 2, book }
    end
    if count == 1 then firstBooked[field] = { deadline, member } end
    books[field] = string.char(count) .. book
    return 1
  end
  function group.finish(pendingKey, latestKey, set)
    local gone = {}
    for _, field in ipairs(fields) do
      local book = books[field]
      if book then
        if book ~= stored[field] then
          set[#set + 1] = field
          set[#set + 1] = book
        end
        local first = firstBooked[field]
        if first then notePending(pendingKey, first[1], first[2]) end
      elseif stored[field] then
        gone[#gone + 1] = field
      end
    end
    if decided then
      set[#set + 1] = '~a'
      set[#set + 1] = decided
    end
    if #gone > 0 then redis.call('HDEL', latestKey, unpack(gone)) end
  end
  return group
end
