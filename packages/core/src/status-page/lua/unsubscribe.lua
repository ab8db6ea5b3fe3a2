--[[
  Removes a subscriber: from the subscriber sets of its components, its record, and its address
  lookup while that still names it.

  The address hash and the components come from the record, so those keys are built on stems:
  `<stem><address hash>` and `<stem><component id>`, as RedisKeys lays them out.

  Input:
    KEYS[1] the subscriber's record
    KEYS[2] address lookup key stem, `<prefix>:subscriber-email:`
    KEYS[3] component subscriber set key stem, `<prefix>:subscribers:`
    KEYS[4] subscriber set of every component

    ARGV[1] subscriber id

  Output:
    1 removed
    0 there was none
]]
local record = KEYS[1]
local byEmailStem = KEYS[2]
local setStem = KEYS[3]
local allKey = KEYS[4]
local id = ARGV[1]

--- @include "includes/each-subscriber-set"

local f = redis.call('HMGET', record, 'confirmed', 'components', 'emailHash')
if not f[3] then return 0 end
if f[1] == '1' then eachSubscriberSet(allKey, setStem, f[2], function(key) redis.call('SREM', key, id) end) end
redis.call('DEL', record)
if redis.call('GET', byEmailStem .. f[3]) == id then redis.call('DEL', byEmailStem .. f[3]) end
return 1
