--[[
  Takes one probe permit from the vantage's rate-limit window, shared by every prober of the vantage.
  A window opens at its first probe and lasts `per` ms, as BullMQ's own limiter does.

  Input:
    KEYS[1] the window: probes started in it, with a TTL

    ARGV[1] most probes per window
    ARGV[2] window length, ms

  Output:
    0 taken
    n ms until the window ends: no permit now, ask again then
]]
local windowKey = KEYS[1]
local max = tonumber(ARGV[1])
local per = tonumber(ARGV[2])

local taken = redis.call('INCR', windowKey)
if taken == 1 then
  redis.call('PEXPIRE', windowKey, per)
end
if taken <= max then
  return 0
end
local left = redis.call('PTTL', windowKey)
if left < 0 then
  redis.call('PEXPIRE', windowKey, per)
  left = per
end
return math.max(left, 1)
