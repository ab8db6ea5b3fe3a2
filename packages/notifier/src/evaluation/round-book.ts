import { defineScripts, type Redis, type RedisKeys, type ScriptPipeline } from '@vigil/core';
import type { RoundOutcome } from './round-verdict.js';

/** The scripts of `lua/`, as commands: each its KEYS, then its ARGV, as its header lists them. */
interface BookCommands {
  vigilAddRoundOutcome(
    round: string,
    state: string,
    pending: string,
    vantage: string,
    outcomeJson: string,
    roundAt: number,
    deadline: number,
    expected: number,
    ttlMs: number,
    member: string,
  ): Promise<0 | 1 | 2>;
  vigilClaimRound(pending: string, round: string, member: string): Promise<0 | 1>;
}

export interface RoundRef {
  checkId: string;
  round: number;
}

/**
 * The rounds being gathered: each vantage's outcome lands in its round's hash; the round is decided
 * exactly once, by whoever completes it or, past its deadline, by whoever claims it from `pending`.
 */
export class RoundBook {
  private readonly redis: Redis & BookCommands;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys }) {
    this.redis = defineScripts<BookCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  async add(
    entry: RoundRef & { vantage: string; outcome: RoundOutcome; expected: number; deadline: number; ttlMs: number },
  ): Promise<'late' | 'waiting' | 'complete'> {
    const { keys } = this.ctx;
    const reply = await this.redis.vigilAddRoundOutcome(
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
    const pipeline = this.redis.pipeline() as ScriptPipeline<BookCommands>;
    for (const ref of refs)
      pipeline.vigilClaimRound(keys.pendingRounds, keys.round(ref.checkId, ref.round), memberOf(ref));
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
