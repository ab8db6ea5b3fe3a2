--[[
  Closes an attempt at a page. Sent: the sent marker is set, and a trigger's destination is recorded as
  paged in the same step, so whoever resolves the incident afterwards finds it. Failed (the provider
  answered with an error, or never answered before the timeout): the attempt is closed, not in doubt,
  and the job's ordinary retry sends it again. Returns the incident's status as it is now: a page sent
  while its incident was resolving learns it here and owes its resolve.

  Input:
    KEYS[1] page attempt hash
    KEYS[2] page sent marker
    KEYS[3] incident paged hash
    KEYS[4] incident hash

    ARGV[1] this attempt's id
    ARGV[2] 'sent' or 'failed'
    ARGV[3] now, epoch ms
    ARGV[4] time to keep the record, ms
    ARGV[5] the paged hash field (the destination key), '' to record nothing
    ARGV[6] the paged hash value (the destination JSON)

  Output:
    the incident's status, or false when there is no such incident
]]
local attemptKey = KEYS[1]
local sentKey = KEYS[2]
local pagedKey = KEYS[3]
local incidentKey = KEYS[4]
local attemptId = ARGV[1]
local outcome = ARGV[2]
local now = ARGV[3]
local ttl = ARGV[4]
local pagedField = ARGV[5]
local pagedValue = ARGV[6]

if outcome == 'sent' then
  redis.call('SET', sentKey, now, 'PX', ttl)
  redis.call('HSET', attemptKey, 'sentAt', now)
  redis.call('HDEL', attemptKey, 'open')
  redis.call('PEXPIRE', attemptKey, ttl)
  if pagedField ~= '' then redis.call('HSET', pagedKey, pagedField, pagedValue) end
elseif redis.call('HGET', attemptKey, 'open') == attemptId then
  redis.call('HDEL', attemptKey, 'open')
end
return redis.call('HGET', incidentKey, 'status')
