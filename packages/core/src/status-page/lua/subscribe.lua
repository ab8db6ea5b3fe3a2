--[[
  Creates the pending subscriber of an address, or records what an existing one asks for now; either
  way queues a confirmation mail, so a sign-up never changes a subscription before its owner follows
  the link. An unconfirmed subscriber, and its address lookup, expire.

  The subscriber's id is known only here (the address's, or the new one), so its record is built on
  the subscriber key stem: `<stem><id>`, as RedisKeys lays it out.

  Input:
    KEYS[1] the address's subscriber id (by the address's hash)
    KEYS[2] subscriber mail stream
    KEYS[3] subscriber key stem, `<prefix>:subscriber:`

    ARGV[1] id for a new subscriber
    ARGV[2] email address
    ARGV[3] SHA-256 of the address
    ARGV[4] requested component ids, comma-joined ('' for all)
    ARGV[5] now, epoch ms
    ARGV[6] TTL of an unconfirmed subscriber, ms
    ARGV[7] base URL of the links in the mail

  Output:
    The subscriber's id.
]]
local byEmailKey = KEYS[1]
local mailKey = KEYS[2]
local subscriberStem = KEYS[3]
local newId = ARGV[1]
local email = ARGV[2]
local emailHash = ARGV[3]
local requested = ARGV[4]
local now = ARGV[5]
local pendingTtlMs = ARGV[6]
local baseUrl = ARGV[7]

local id = redis.call('GET', byEmailKey)
if id and redis.call('EXISTS', subscriberStem .. id) == 0 then id = false end
if not id then
  id = newId
  redis.call('HSET', subscriberStem .. id, 'email', email, 'emailHash', emailHash, 'components', '',
    'requested', requested, 'confirmed', '0', 'createdAt', now)
  redis.call('SET', byEmailKey, id)
else
  redis.call('HSET', subscriberStem .. id, 'requested', requested)
end
if redis.call('HGET', subscriberStem .. id, 'confirmed') ~= '1' then
  redis.call('PEXPIRE', subscriberStem .. id, pendingTtlMs)
  redis.call('PEXPIRE', byEmailKey, pendingTtlMs)
end
redis.call('XADD', mailKey, 'MAXLEN', '~', '10000', '*', 'type', 'confirm', 'id', id, 'url', baseUrl)
return id
