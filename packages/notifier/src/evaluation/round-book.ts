import type { Redis, RedisKeys } from '@vigil/core';
import type { ChainableCommander } from 'ioredis';
import type { RoundOutcome } from './round-verdict.js';

/**
 * Adds one vantage's outcome to its round, unless the round was decided already.
 * KEYS round, state, pending. ARGV vantage, outcomeJson, round, deadline, expected, ttlMs, member
 * Returns 0 late, 1 waiting for more vantages, 2 complete and claimed by this caller.
 */
const ADD = `
if tonumber(ARGV[3]) <= tonumber(redis.call('HGET', KEYS[2], 'lastRound') or '-1') then return 0 end
if redis.call('HEXISTS', KEYS[1], '~claim') == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then
  redis.call('HSET', KEYS[1], '~claim', '1')
  redis.call('ZREM', KEYS[3], ARGV[7])
  return 2
end
redis.call('ZADD', KEYS[3], 'NX', ARGV[4], ARGV[7])
return 1
`;

/** KEYS pending, round. ARGV member. Returns 1 when this caller claimed the due round. */
const CLAIM = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[2], '~claim', '1')
`;

type BookPipeline = ChainableCommander & { vigilRoundClaim(...args: (string | number)[]): BookPipeline };
type BookRedis = Redis & {
  vigilRoundAdd(...args: (string | number)[]): Promise<number>;
  vigilRoundClaim(...args: (string | number)[]): Promise<number>;
};

export interface RoundRef {
  checkId: string;
  round: number;
}

/**
 * The rounds being gathered: each vantage's outcome lands in its round's hash; the round is decided
 * exactly once, by whoever completes it or, past its deadline, by whoever claims it from `pending`.
 */
export class RoundBook {
  private readonly redis: BookRedis;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys }) {
    if (!('vigilRoundAdd' in ctx.redis)) {
      ctx.redis.defineCommand('vigilRoundAdd', { numberOfKeys: 3, lua: ADD });
      ctx.redis.defineCommand('vigilRoundClaim', { numberOfKeys: 2, lua: CLAIM });
    }
    this.redis = ctx.redis as BookRedis;
  }

  async add(
    entry: RoundRef & { vantage: string; outcome: RoundOutcome; expected: number; deadline: number; ttlMs: number },
  ): Promise<'late' | 'waiting' | 'complete'> {
    const { keys } = this.ctx;
    const reply = await this.redis.vigilRoundAdd(
      keys.round(entry.checkId, entry.round),
      keys.checkState(entry.checkId),
      keys.pendingRounds,
      entry.vantage,
      JSON.stringify(entry.outcome),
      entry.round,
      entry.deadline,
      entry.expected,
      entry.ttlMs,
      memberOf(entry),
    );
    return reply === 2 ? 'complete' : reply === 1 ? 'waiting' : 'late';
  }

  /** Rounds past their deadline that this caller claimed (each claimed by one caller only). */
  async claimDue(now: number, limit = 500): Promise<RoundRef[]> {
    const { keys } = this.ctx;
    const due = await this.ctx.redis.zrangebyscore(keys.pendingRounds, '-inf', now, 'LIMIT', 0, limit);
    if (due.length === 0) return [];
    const refs = due.map(parseMember).filter((ref): ref is RoundRef => ref !== undefined);
    const pipeline = this.redis.pipeline() as BookPipeline;
    for (const ref of refs)
      pipeline.vigilRoundClaim(keys.pendingRounds, keys.round(ref.checkId, ref.round), memberOf(ref));
    const replies = (await pipeline.exec()) ?? [];
    return refs.filter((_, i) => Number(replies[i]?.[1]) === 1);
  }

  /** The outcomes gathered for a round, by vantage. */
  async outcomes(ref: RoundRef): Promise<Map<string, RoundOutcome>> {
    const all = await this.ctx.redis.hgetall(this.ctx.keys.round(ref.checkId, ref.round));
    const out = new Map<string, RoundOutcome>();
    for (const [vantage, json] of Object.entries(all)) {
      if (vantage !== '~claim') out.set(vantage, JSON.parse(json) as RoundOutcome);
    }
    return out;
  }
}

function memberOf(ref: RoundRef): string {
  return `${ref.checkId}|${ref.round}`;
}

function parseMember(member: string): RoundRef | undefined {
  const [checkId, round] = member.split('|');
  return checkId && round ? { checkId, round: Number(round) } : undefined;
}
