--[[
  Follows a confirmation link. Single use: the token goes first. Moves the subscriber from the sets
  of its old components to those it asked for, and keeps it (and its address lookup) for good.

  The subscriber's id comes from the token and its components from its record, so its keys are
  built on stems: `<stem><id>` for the record, `<stem><address hash>` for the address lookup and
  `<stem><component id>` for a component's subscriber set, as RedisKeys lays them out.

  Input:
    KEYS[1] the confirmation token (by its hash): subscriber id
    KEYS[2] subscriber key stem, `<prefix>:subscriber:`
    KEYS[3] address lookup key stem, `<prefix>:subscriber-email:`
    KEYS[4] component subscriber set key stem, `<prefix>:subscribers:`
    KEYS[5] subscriber set of every component

    ARGV[1] now, epoch ms

  Output:
    {id, components}: components comma-joined ('' for all), or nil for an unknown token
]]
local tokenKey = KEYS[1]
local subscriberStem = KEYS[2]
local byEmailStem = KEYS[3]
local setStem = KEYS[4]
local allKey = KEYS[5]
local now = ARGV[1]

--- @include "includes/each-subscriber-set"

local id = redis.call('GET', tokenKey)
if not id then return false end
redis.call('DEL', tokenKey)
local record = subscriberStem .. id
local f = redis.call('HMGET', record, 'confirmed', 'components', 'requested', 'emailHash')
if not f[4] then return false end
if f[1] == '1' then eachSubscriberSet(allKey, setStem, f[2], function(key) redis.call('SREM', key, id) end) end
eachSubscriberSet(allKey, setStem, f[3], function(key) redis.call('SADD', key, id) end)
redis.call('HSET', record, 'confirmed', '1', 'components', f[3], 'confirmedAt', now)
redis.call('PERSIST', record)
redis.call('PERSIST', byEmailStem .. f[4])
return {id, f[3]}
