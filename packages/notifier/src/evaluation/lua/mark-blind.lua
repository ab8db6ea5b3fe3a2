--[[
  Marks a check `unknown` when no round has been applied to it since `blindBefore` (a blind spot).
  A check never seen before is only noted as first seen now.

  Input:
    KEYS[1] the check's state hash

    ARGV[1] blind before, epoch ms: the check is blind when its last round is older
    ARGV[2] now, epoch ms

  Output:
    The previous state, or '' when nothing changed.
]]
local stateKey = KEYS[1]
local blindBefore = tonumber(ARGV[1])
local now = ARGV[2]

local f = redis.call('HMGET', stateKey, 'state', 'lastRound', 'firstSeen')
local state = f[1] or 'new'
if state == 'unknown' then return '' end
local last = tonumber(f[2] or f[3] or '-1')
if last < 0 then
  redis.call('HSET', stateKey, 'firstSeen', now)
  return ''
end
if last >= blindBefore then return '' end
redis.call('HSET', stateKey, 'state', 'unknown', 'blindFrom', state, 'since', now, 'failStreak', 0, 'goodStreak', 0,
  'okStreak', 0, 'badStreak', 0)
return state
