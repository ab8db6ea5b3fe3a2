import { type CheckStateName, type Redis, type RedisKeys, VERDICT_BUCKET_TTL_S, verdictBucketKeys } from '@vigil/core';
import type { ChainableCommander } from 'ioredis';
import type { Verdict } from './round-verdict.js';

/**
 * Applies one decided round to a check's state machine, in order and exactly once.
 * KEYS state, transitions, verdictDay, verdictHour.
 * ARGV round, verdict, confirmations, checkId, detailJson, now, alertOn, dayTtlS, hourTtlS
 * Returns {} for a round at or before the last one applied, else { from, to, transitionJson | '' }.
 * A change of whether the check is alerting is also written to `transitions` (the outbox the
 * incident side drains), in the same step, so a crash between the two loses nothing. Each applied
 * round is counted once in its UTC day and hour verdict buckets (uptime).
 */
const APPLY = `
local round = tonumber(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'lastRound', 'state', 'failStreak', 'goodStreak', 'okStreak', 'badStreak',
  'firstFailedRound', 'lastFailedRound', 'firstBadRound', 'lastBadRound', 'lastGoodRound', 'lastOkRound',
  'goodBeforeFail', 'okBeforeBad', 'recoveryStart', 'okRecoveryStart', 'blindFrom')
if round <= tonumber(f[1] or '-1') then return {} end
local function alerting(s)
  return s == 'down' or (ARGV[7] == 'degraded' and s == 'degraded')
end
local state = f[2] or 'new'
-- Blind while alerting: its incident is still open, so it resumes there and recovers as usual.
if state == 'unknown' and f[17] and alerting(f[17]) then state = f[17] end
local failStreak, goodStreak, okStreak, badStreak = tonumber(f[3] or '0'), tonumber(f[4] or '0'), tonumber(f[5] or '0'), tonumber(f[6] or '0')
local firstFailed, lastFailed, firstBad, lastBad = f[7], f[8], f[9], f[10]
local lastGood, lastOk, goodBeforeFail, okBeforeBad, recoveryStart, okRecoveryStart = f[11], f[12], f[13], f[14], f[15], f[16]
local v = ARGV[2]
local conf = tonumber(ARGV[3])
if v == 'fail' then
  failStreak = failStreak + 1
  if failStreak == 1 then firstFailed = round; goodBeforeFail = lastGood or false end
  lastFailed = round
  goodStreak = 0
else
  goodStreak = goodStreak + 1
  if goodStreak == 1 then recoveryStart = round end
  lastGood = round
  failStreak = 0
end
if v == 'ok' then
  okStreak = okStreak + 1
  if okStreak == 1 then okRecoveryStart = round end
  lastOk = round
  badStreak = 0
else
  badStreak = badStreak + 1
  if badStreak == 1 then firstBad = round; okBeforeBad = lastOk or false end
  lastBad = round
  okStreak = 0
end
local to = state
if v == 'fail' then
  if failStreak >= conf then to = 'down' end
elseif state == 'down' then
  if goodStreak >= conf then if v == 'ok' then to = 'up' else to = 'degraded' end end
elseif state == 'new' or state == 'unknown' then
  if v == 'ok' then to = 'up' elseif badStreak >= conf then to = 'degraded' end
elseif state == 'up' then
  if badStreak >= conf then to = 'degraded' end
elseif state == 'degraded' then
  if okStreak >= conf then to = 'up' end
end
local function set(name, value) if value then redis.call('HSET', KEYS[1], name, value) else redis.call('HDEL', KEYS[1], name) end end
redis.call('HSET', KEYS[1], 'lastRound', round, 'state', to, 'failStreak', failStreak, 'goodStreak', goodStreak,
  'okStreak', okStreak, 'badStreak', badStreak, 'lastVerdict', v, 'detail', ARGV[5])
set('firstFailedRound', firstFailed); set('lastFailedRound', lastFailed); set('firstBadRound', firstBad)
set('lastBadRound', lastBad); set('lastGoodRound', lastGood); set('lastOkRound', lastOk)
set('goodBeforeFail', goodBeforeFail); set('okBeforeBad', okBeforeBad)
set('recoveryStart', recoveryStart); set('okRecoveryStart', okRecoveryStart)
if to ~= (f[2] or 'new') then redis.call('HSET', KEYS[1], 'since', round) end
redis.call('HINCRBY', KEYS[3], v, 1)
redis.call('EXPIRE', KEYS[3], ARGV[8])
redis.call('HINCRBY', KEYS[4], v, 1)
redis.call('EXPIRE', KEYS[4], ARGV[9])
local transition = ''
if alerting(to) ~= alerting(state) then
  local t = {checkId = ARGV[4], at = tonumber(ARGV[6]), round = round, from = state, to = to, detail = cjson.decode(ARGV[5])}
  if alerting(to) then
    t.kind = 'alert'
    if to == 'down' then
      t.firstFailedRound = tonumber(firstFailed); t.lastFailedRound = tonumber(lastFailed)
      if goodBeforeFail then t.lastGoodBefore = tonumber(goodBeforeFail) end
    else
      t.firstFailedRound = tonumber(firstBad); t.lastFailedRound = tonumber(lastBad)
      if okBeforeBad then t.lastGoodBefore = tonumber(okBeforeBad) end
    end
  else
    t.kind = 'recover'
    if state == 'down' then
      t.firstGoodAfter = tonumber(recoveryStart); t.lastFailedRound = tonumber(lastFailed)
    else
      t.firstGoodAfter = tonumber(okRecoveryStart); t.lastFailedRound = tonumber(lastBad)
    end
  end
  transition = cjson.encode(t)
  redis.call('HSET', KEYS[2], ARGV[4], transition)
end
return {f[2] or 'new', to, transition}
`;

/**
 * Marks a check `unknown` when no round has been applied since `blindBefore` (a blind spot).
 * KEYS state. ARGV blindBefore, now. Returns the previous state, or '' when nothing changed.
 */
const MARK_BLIND = `
local f = redis.call('HMGET', KEYS[1], 'state', 'lastRound', 'firstSeen')
local state = f[1] or 'new'
if state == 'unknown' then return '' end
local last = tonumber(f[2] or f[3] or '-1')
if last < 0 then redis.call('HSET', KEYS[1], 'firstSeen', ARGV[2]); return '' end
if last >= tonumber(ARGV[1]) then return '' end
redis.call('HSET', KEYS[1], 'state', 'unknown', 'blindFrom', state, 'since', ARGV[2], 'failStreak', 0, 'goodStreak', 0,
  'okStreak', 0, 'badStreak', 0)
return state
`;

/** KEYS transitions. ARGV checkId, round. Removes the entry only if it is still that round's. */
const SETTLE = `
local t = redis.call('HGET', KEYS[1], ARGV[1])
if t and cjson.decode(t).round == tonumber(ARGV[2]) then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`;

/** A transition of whether a check is alerting: what the incident side acts on. */
export interface Transition {
  kind: 'alert' | 'recover';
  checkId: string;
  at: number;
  round: number;
  from: CheckStateName;
  to: CheckStateName;
  firstFailedRound?: number;
  lastFailedRound?: number;
  lastGoodBefore?: number;
  firstGoodAfter?: number;
  detail: RoundDetail;
}

/** What the deciding round saw, kept on the state and carried into incidents and pages. */
export interface RoundDetail {
  failing: string[];
  counted: number;
  error?: string;
  message?: string;
}

type StatePipeline = ChainableCommander & { vigilMarkBlind(...args: (string | number)[]): StatePipeline };
type StateRedis = Redis & {
  vigilApplyVerdict(...args: (string | number)[]): Promise<[string?, string?, string?]>;
  vigilMarkBlind(...args: (string | number)[]): Promise<string>;
  vigilSettleTransition(...args: (string | number)[]): Promise<number>;
};

export interface StateChange {
  from: CheckStateName;
  to: CheckStateName;
  transition?: Transition;
}

/** The per-check state machine in Redis: up, degraded, down (after `confirmations`), unknown. */
export class CheckStates {
  private readonly redis: StateRedis;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys }) {
    if (!('vigilApplyVerdict' in ctx.redis)) {
      ctx.redis.defineCommand('vigilApplyVerdict', { numberOfKeys: 4, lua: APPLY });
      ctx.redis.defineCommand('vigilMarkBlind', { numberOfKeys: 1, lua: MARK_BLIND });
      ctx.redis.defineCommand('vigilSettleTransition', { numberOfKeys: 1, lua: SETTLE });
    }
    this.redis = ctx.redis as StateRedis;
  }

  /** Applies a round's verdict; undefined when the round came too late to count. */
  async apply(input: {
    checkId: string;
    round: number;
    verdict: Verdict;
    confirmations: number;
    alertOn: 'down' | 'degraded';
    detail: RoundDetail;
    now: number;
  }): Promise<StateChange | undefined> {
    const { keys } = this.ctx;
    const buckets = verdictBucketKeys(keys, input.checkId, input.round);
    const [from, to, transition] = await this.redis.vigilApplyVerdict(
      keys.checkState(input.checkId),
      keys.transitions,
      buckets.day,
      buckets.hour,
      input.round,
      input.verdict,
      input.confirmations,
      input.checkId,
      JSON.stringify(input.detail),
      input.now,
      input.alertOn,
      VERDICT_BUCKET_TTL_S.day,
      VERDICT_BUCKET_TTL_S.hour,
    );
    if (from === undefined || to === undefined) return undefined;
    return {
      from: from as CheckStateName,
      to: to as CheckStateName,
      ...(transition && { transition: parseTransition(transition) }),
    };
  }

  /** Marks blind checks unknown; returns the previous state of each one that changed. */
  async markBlind(checks: readonly { id: string; blindBefore: number }[], now: number): Promise<Map<string, string>> {
    const pipeline = this.ctx.redis.pipeline() as StatePipeline;
    for (const check of checks) pipeline.vigilMarkBlind(this.ctx.keys.checkState(check.id), check.blindBefore, now);
    const replies = (await pipeline.exec()) ?? [];
    const changed = new Map<string, string>();
    checks.forEach((check, i) => {
      const previous = String(replies[i]?.[1] ?? '');
      if (previous) changed.set(check.id, previous);
    });
    return changed;
  }

  async get(checkId: string): Promise<Record<string, string>> {
    return this.ctx.redis.hgetall(this.ctx.keys.checkState(checkId));
  }

  /** Transitions not yet applied to incidents (the outbox), by check id. */
  async pendingTransitions(): Promise<Transition[]> {
    const all = await this.ctx.redis.hvals(this.ctx.keys.transitions);
    return all.map(parseTransition);
  }

  /** Removes an outbox entry once acted on, unless a newer transition replaced it meanwhile. */
  async settle(transition: Transition): Promise<void> {
    await this.redis.vigilSettleTransition(this.ctx.keys.transitions, transition.checkId, transition.round);
  }
}

function parseTransition(json: string): Transition {
  const transition = JSON.parse(json) as Transition;
  if (!Array.isArray(transition.detail?.failing)) transition.detail = { ...transition.detail, failing: [] };
  return transition;
}
