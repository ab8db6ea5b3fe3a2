--[[
  Records an attempt at a page before it is sent. An attempt still open when the page's job is taken
  up again was cut off mid-send (its notifier stopped or died): the provider may or may not have
  accepted it, so it is in doubt. The first attempt in doubt is resent once, with the same idempotency
  key; a second one gives up (recorded, never a third send). A page has one owning job: another job
  reaching the same page (two levels turning into one late message) leaves it to the owner.

  Input:
    KEYS[1] page attempt hash
    KEYS[2] page sent marker

    ARGV[1] the job that sends it
    ARGV[2] this attempt's id
    ARGV[3] now, epoch ms
    ARGV[4] time to keep the record, ms
    ARGV[5] attempts in doubt that make it give up

  Output:
    {'first', 0} a clean attempt: send
    {'in-doubt', n} the previous attempt is in doubt: resend with the same key
    {'give-up', n} n attempts in doubt: do not send again
    {'sent', 0} already sent
    {'owned', 0, job} another job sends this page
]]
local attemptKey = KEYS[1]
local sentKey = KEYS[2]
local job = ARGV[1]
local attemptId = ARGV[2]
local now = ARGV[3]
local ttl = ARGV[4]
local giveUpAt = tonumber(ARGV[5])

if redis.call('EXISTS', sentKey) == 1 then return {'sent', 0} end
local owner = redis.call('HGET', attemptKey, 'job')
if owner and owner ~= job then return {'owned', 0, owner} end
local inDoubt = tonumber(redis.call('HGET', attemptKey, 'inDoubt') or '0')
if redis.call('HEXISTS', attemptKey, 'gaveUpAt') == 1 then return {'give-up', inDoubt} end

local verdict = 'first'
if redis.call('HEXISTS', attemptKey, 'open') == 1 then
  inDoubt = inDoubt + 1
  redis.call('HSET', attemptKey, 'inDoubt', inDoubt)
  verdict = 'in-doubt'
  if inDoubt >= giveUpAt then
    redis.call('HDEL', attemptKey, 'open')
    redis.call('HSET', attemptKey, 'gaveUpAt', now)
    redis.call('PEXPIRE', attemptKey, ttl)
    return {'give-up', inDoubt}
  end
end
redis.call('HSET', attemptKey, 'job', job, 'open', attemptId, 'openedAt', now)
redis.call('HINCRBY', attemptKey, 'attempts', 1)
redis.call('PEXPIRE', attemptKey, ttl)
return {verdict, inDoubt}
