--[[
  Records a batch of probe results, in order, each atomically and exactly once per (check, vantage,
  round): remembers the round, keeps the newest round as the vantage's latest, pushes the result on
  the capped history and counts it in its UTC day's uptime bucket.

  Input:
    KEYS[1] the first result's rounds: zset of `<vantage>:<round>` recently recorded, for idempotency
    KEYS[2…] then its latest (vantage → latest ProbeResult JSON, `<vantage>:round` → its round,
      `<vantage>:i` → the vantage's index in history entries, `~n` → the last index given), its history
      (list of packed entries, newest first: see history-entry.ts) and the uptime bucket of its UTC day;
      then the same four keys for each further result, in turn

    ARGV[1] history length cap
    ARGV[2] TTL of the uptime buckets, s
    ARGV[3…] for each result in turn, eight: rounds member `<vantage>:<round>`; round (epoch ms);
      forget remembered rounds before this (epoch ms); ProbeResult JSON; its packed history entry with
      its second byte (the vantage index) left 0; vantage; 1 when the result is ok, 0 when not; TTL of the
      rounds zset (ms)

  Output:
    One reply per result, in order:
    0 a duplicate, nothing recorded
    1 recorded, and the vantage's latest now
    2 recorded, but older than the vantage's latest
]]
if not KEYS[1] or #KEYS % 4 ~= 0 then return redis.error_reply('expected four keys per result') end
local historyCap = tonumber(ARGV[1])
local uptimeTtlS = ARGV[2]

-- The vantage's index in the check's history entries, given on first use; the JSON itself past 255.
local function historyEntry(latestKey, vantage, entry, json)
  local indexField = vantage .. ':i'
  local index = tonumber(redis.call('HGET', latestKey, indexField))
  if not index then
    index = redis.call('HINCRBY', latestKey, '~n', 1)
    redis.call('HSET', latestKey, indexField, index)
  end
  if index > 255 then return json end
  return string.sub(entry, 1, 1) .. string.char(index) .. string.sub(entry, 3)
end

local function record(roundsKey, latestKey, historyKey, uptimeKey, member, round, forgetBefore, json, entry, vantage,
                      ok, roundsTtlMs)
  if redis.call('ZADD', roundsKey, 'NX', round, member) == 0 then return 0 end
  redis.call('ZREMRANGEBYSCORE', roundsKey, '-inf', '(' .. forgetBefore)
  redis.call('PEXPIRE', roundsKey, roundsTtlMs)
  local roundField = vantage .. ':round'
  local current = tonumber(redis.call('HGET', latestKey, roundField) or '-1')
  local outcome = 2
  if tonumber(round) >= current then
    redis.call('HSET', latestKey, vantage, json, roundField, round)
    outcome = 1
  end
  redis.call('LPUSH', historyKey, historyEntry(latestKey, vantage, entry, json))
  redis.call('LTRIM', historyKey, 0, historyCap - 1)
  if ok then
    redis.call('HINCRBY', uptimeKey, vantage .. ':ok', 1)
  end
  redis.call('HINCRBY', uptimeKey, vantage .. ':total', 1)
  redis.call('EXPIRE', uptimeKey, uptimeTtlS)
  return outcome
end

local replies = {}
for i = 0, #KEYS / 4 - 1 do
  local k = 4 * i
  local a = 2 + 8 * i
  replies[i + 1] = record(KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3],
    ARGV[a + 4], ARGV[a + 5], ARGV[a + 6], ARGV[a + 7] == '1', ARGV[a + 8])
end
return replies
