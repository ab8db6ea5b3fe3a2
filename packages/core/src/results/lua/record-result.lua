--[[
  Records one probe result atomically and exactly once per (check, vantage, round): remembers the
  round, keeps the newest round as the vantage's latest, pushes the result on the capped history and
  counts it in its UTC day's uptime bucket.

  Input:
    KEYS[1] rounds: zset of `<vantage>:<round>` recently recorded, for idempotency
    KEYS[2] latest: vantage → latest ProbeResult JSON, and `<vantage>:round` → its round
    KEYS[3] history: list of ProbeResult JSON, newest first
    KEYS[4] uptime bucket of the result's UTC day

    ARGV[1] rounds member, `<vantage>:<round>`
    ARGV[2] round, epoch ms
    ARGV[3] forget remembered rounds before this, epoch ms
    ARGV[4] ProbeResult JSON
    ARGV[5] vantage
    ARGV[6] 1 when the result is ok, 0 when not
    ARGV[7] history length cap
    ARGV[8] TTL of the rounds zset, ms
    ARGV[9] TTL of the uptime bucket, s

  Output:
    0 a duplicate, nothing recorded
    1 recorded, and the vantage's latest now
    2 recorded, but older than the vantage's latest
]]
local roundsKey = KEYS[1]
local latestKey = KEYS[2]
local historyKey = KEYS[3]
local uptimeKey = KEYS[4]
local member = ARGV[1]
local round = ARGV[2]
local forgetBefore = ARGV[3]
local json = ARGV[4]
local vantage = ARGV[5]
local ok = ARGV[6] == '1'
local historyCap = tonumber(ARGV[7])
local roundsTtlMs = ARGV[8]
local uptimeTtlS = ARGV[9]

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
redis.call('LPUSH', historyKey, json)
redis.call('LTRIM', historyKey, 0, historyCap - 1)
redis.call('HINCRBY', uptimeKey, vantage .. ':total', 1)
if ok then redis.call('HINCRBY', uptimeKey, vantage .. ':ok', 1) end
redis.call('EXPIRE', uptimeKey, uptimeTtlS)
return outcome
