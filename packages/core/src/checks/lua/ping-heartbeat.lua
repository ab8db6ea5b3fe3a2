--[[
  Records one ping of a heartbeat check, in one round trip: finds the check by its token's hash,
  counts the ping against the token's rate limit, and (within it) updates the check's ping state,
  its last message and the ping stream. An unknown token changes nothing.

  Input:
    KEYS[1] heartbeat tokens: SHA-256 of a token → check id
    KEYS[2] heartbeat states: check id → state JSON
    KEYS[3] heartbeat messages: check id → last message
    KEYS[4] the ping stream
    KEYS[5] this token's rate counter for the current window

    ARGV[1] the SHA-256 of the presented token
    ARGV[2] now, epoch ms
    ARGV[3] what the ping says: success, start or fail
    ARGV[4] the exit code it carried, or ''
    ARGV[5] its body, or '' for none
    ARGV[6] the most pings per window
    ARGV[7] the window, ms
    ARGV[8] the stream's approximate cap

  Output:
    nil for an unknown token; else { check id, pings counted in this window (past the limit: nothing recorded) }
]]
local tokensKey, statesKey, messagesKey, pingsKey, rateKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local hash, now, kind, exitCode, body = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local max, windowMs, cap = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]

local id = redis.call('HGET', tokensKey, hash)
if not id then return false end

local count = redis.call('INCR', rateKey)
if count == 1 then redis.call('PEXPIRE', rateKey, windowMs) end
if count > max then return { id, count } end

local raw = redis.call('HGET', statesKey, id)
local state = raw and cjson.decode(raw) or {}
state.lastPing = now
state.lastKind = kind
if exitCode ~= '' then state.exitCode = tonumber(exitCode) else state.exitCode = nil end
if kind == 'success' then
  state.lastOk = now
  state.started = nil
elseif kind == 'start' then
  state.started = now
else
  state.lastFail = now
  state.started = nil
end
redis.call('HSET', statesKey, id, cjson.encode(state))
if body ~= '' then redis.call('HSET', messagesKey, id, body) end
redis.call('XADD', pingsKey, 'MAXLEN', '~', cap, '*', 'check', id, 'at', now, 'kind', kind, 'exit', exitCode)
return { id, count }
