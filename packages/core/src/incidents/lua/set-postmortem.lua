--[[
  Publishes or revises the postmortem of a resolved incident, with a `postmortem` event (never
  `updated`: a revision is not a status change, and subscribers are not mailed about it). Checking the
  status and writing in one step means a reopen can never slip in between.

  Input:
    KEYS[1] incident hash
    KEYS[2] incident postmortem hash
    KEYS[3] incident event stream

    ARGV[1] incident id
    ARGV[2] who writes
    ARGV[3] now, epoch ms
    ARGV[4] Markdown

  Output:
    {'ok', publishedAt}
    {'missing'} when there is no such incident
    {'open', status} when the incident is not resolved
]]
local incidentKey = KEYS[1]
local postmortemKey = KEYS[2]
local eventsKey = KEYS[3]
local id = ARGV[1]
local by = ARGV[2]
local now = ARGV[3]
local markdown = ARGV[4]

--- @include "includes/add-incident-event"

local status = redis.call('HGET', incidentKey, 'status')
if not status then return {'missing'} end
if status ~= 'resolved' then return {'open', status} end
local published = redis.call('HGET', postmortemKey, 'publishedAt') or now
redis.call('HSET', postmortemKey, 'markdown', markdown, 'by', by, 'publishedAt', published, 'updatedAt', now)
addIncidentEvent(eventsKey, 'postmortem', id, now, by)
return {'ok', published}
