--[[
  Forgets a deleted check's results and evaluation: its per-check keys go, and its entries in its
  shard's outboxes and pending rounds (those of one round, the form before: an entry several rounds
  share stays, and the deadline sweep passes over rounds whose book is gone), so a check created
  later with the same id starts from nothing.
  Every key shares the check's hash tag (its shard's on a Cluster): one call on its slot.

  Input:
    KEYS[1] the shard's pending rounds (zset of entries; `<check>|<round>` the form of one round)
    KEYS[2] the shard's transitions outbox (hash: check id → transition JSON)
    KEYS[3] the shard's address transitions outbox (hash: `<check>|<address>|<round>` → JSON)
    KEYS[4] the check's latest hash (its round books are its `~b<round>` fields)
    KEYS[5…] the check's other keys, each removed

    ARGV[1] check id

  Output:
    how many of the check's keys existed
]]
local pendingKey, transitionsKey, addressTransitionsKey, latestKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id = ARGV[1]

for _, field in ipairs(redis.call('HKEYS', latestKey)) do
  if string.sub(field, 1, 2) == '~b' then redis.call('ZREM', pendingKey, id .. '|' .. string.sub(field, 3)) end
end
redis.call('HDEL', transitionsKey, id)

local stem = id .. '|'
local cursor = '0'
repeat
  local page = redis.call('HSCAN', addressTransitionsKey, cursor, 'COUNT', 500)
  cursor = page[1]
  local fields = page[2]
  for i = 1, #fields, 2 do
    if string.sub(fields[i], 1, #stem) == stem then redis.call('HDEL', addressTransitionsKey, fields[i]) end
  end
until cursor == '0'

local removed = redis.call('UNLINK', latestKey)
for i = 5, #KEYS do removed = removed + redis.call('UNLINK', KEYS[i]) end
return removed
