--[[
  Marks checks `unknown` when no round has been applied to them since their `blindBefore` (a blind
  spot), a batch at a time. A check never seen before is only noted as first seen now.

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

local function mark(stateKey, blindBefore)
  local f = redis.call('HMGET', stateKey, 'state', 'lastRound', 'firstSeen')
  local state = f[1] or 'new'
  if state == 'unknown' then return '' end
  local last = tonumber(f[2] or f[3] or '-1')
  if last < 0 then
    redis.call('HSET', stateKey, 'firstSeen', now)
    return ''
  end
  if last >= blindBefore then return f[2] and tonumber(f[2]) or '' end
  redis.call('HSET', stateKey, 'state', 'unknown', 'blindFrom', state, 'since', now, 'failStreak', 0, 'goodStreak', 0,
    'okStreak', 0, 'badStreak', 0)
  return state
end

local replies = { mark(KEYS[1], tonumber(ARGV[2])) }
for i = 2, #KEYS do replies[i] = mark(KEYS[i], tonumber(ARGV[i + 1])) end
return replies
