--[[
  Marks checks `unknown` when no round has been applied to them since their `blindBefore` (a blind
  spot), a batch at a time, zeroing its streaks (and writing the last good and ok round of one that
  ran: apply-verdicts.lua leaves them unwritten while it runs). A check never seen before is only
  noted as first seen now.

  Input:
    KEYS[1] the first check's state hash
    KEYS[2…] each further check's state hash, in turn

    ARGV[1] now, epoch ms
    ARGV[2…] for each check in turn: blind before, epoch ms (the check is blind when its last round is older)

  Output:
    One reply per check, in order: its previous state when marked; else its last round (a number)
    when it has one and is not unknown (the caller need not ask again until that round is too old);
    else '' (nothing changed, or only first seen).
]]
local now = ARGV[1]

-- apply-verdicts.lua leaves `lastGoodRound` and `lastOkRound` unwritten while their streak runs
-- (they are `lastRound` then): zeroing a running streak writes its last round.
local function ended(fields, name, streak, lastRound)
  if tonumber(streak or '0') > 0 then
    fields[#fields + 1] = name
    fields[#fields + 1] = lastRound
  end
end

local function mark(stateKey, blindBefore)
  local f = redis.call('HMGET', stateKey, 'state', 'lastRound', 'firstSeen', 'goodStreak', 'okStreak')
  local state = f[1] or 'new'
  if state == 'unknown' then return '' end
  local last = tonumber(f[2] or f[3] or '-1')
  if last < 0 then
    redis.call('HSET', stateKey, 'firstSeen', now)
    return ''
  end
  if last >= blindBefore then return f[2] and tonumber(f[2]) or '' end
  local fields = { 'state', 'unknown', 'blindFrom', state, 'since', now, 'failStreak', 0, 'goodStreak', 0,
    'okStreak', 0, 'badStreak', 0 }
  ended(fields, 'lastGoodRound', f[4], f[2])
  ended(fields, 'lastOkRound', f[5], f[2])
  redis.call('HSET', stateKey, unpack(fields))
  return state
end

local replies = { mark(KEYS[1], tonumber(ARGV[2])) }
for i = 2, #KEYS do replies[i] = mark(KEYS[i], tonumber(ARGV[i + 1])) end
return replies
