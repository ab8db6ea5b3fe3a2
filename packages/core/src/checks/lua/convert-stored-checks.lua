--[[
  Rewrites checks stored in a form before the compact bytes (JSON, or base64url) compact, each only
  while it still holds the value its caller read: a put reads, finds the check unchanged and converts
  it unannounced, so a plain HSET would put back what a concurrent, announced change (a pause from the
  API) replaced. Values are binary (Lua strings hold any bytes): compared and written as given.

  Input:
    KEYS[1] checks: check id → the stored check

    ARGV[1…] for each check in turn, three: its id, the value read, the compact value (bytes)

  Output:
    how many were rewritten
]]
if #ARGV % 3 ~= 0 then return redis.error_reply('expected an id, the value read and the new value per check') end
local checksKey = KEYS[1]
local rewritten = 0
for i = 1, #ARGV, 3 do
  if redis.call('HGET', checksKey, ARGV[i]) == ARGV[i + 1] then
    redis.call('HSET', checksKey, ARGV[i], ARGV[i + 2])
    rewritten = rewritten + 1
  end
end
return rewritten
