import {
  type CheckStateName,
  defineScripts,
  type Redis,
  type RedisKeys,
  type ScriptPipeline,
  VERDICT_BUCKET_TTL_S,
  verdictBucketKeys,
} from '@vigil/core';
import type { ChainableCommander } from 'ioredis';
import type { Verdict } from './round-verdict.js';

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

/** The scripts of `lua/`, as commands: each its KEYS, then its ARGV, as its header lists them. */
interface StateCommands {
  vigilApplyVerdict(
    state: string,
    transitions: string,
    verdictDay: string,
    verdictHour: string,
    round: number,
    verdict: Verdict,
    confirmations: number,
    checkId: string,
    detailJson: string,
    now: number,
    alertOn: 'down' | 'degraded',
    dayTtlS: number,
    hourTtlS: number,
  ): Promise<[string?, string?, string?]>;
  vigilMarkBlind(state: string, blindBefore: number, now: number): Promise<string>;
  vigilSettleTransition(transitions: string, checkId: string, round: number): Promise<number>;
}

/** One decided round for the state machine. */
export interface VerdictInput {
  checkId: string;
  round: number;
  verdict: Verdict;
  confirmations: number;
  alertOn: 'down' | 'degraded';
  detail: RoundDetail;
  now: number;
}

export interface StateChange {
  from: CheckStateName;
  to: CheckStateName;
  transition?: Transition;
}

/** The per-check state machine in Redis: up, degraded, down (after `confirmations`), unknown. */
export class CheckStates {
  private readonly redis: Redis & StateCommands;

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys }) {
    this.redis = defineScripts<StateCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  /** Applies a round's verdict; undefined when the round came too late to count. */
  async apply(input: VerdictInput): Promise<StateChange | undefined> {
    const pipeline = this.pipeline();
    this.queueApply(pipeline, input);
    const [[err, reply] = [new Error('no reply from Redis')]] = (await pipeline.exec()) ?? [];
    if (err) throw err;
    return parseApplied(reply);
  }

  /** A pipeline on the connection the state scripts are defined on: `queueApply` and what goes with it. */
  pipeline(): ChainableCommander {
    return this.redis.pipeline();
  }

  /** Queues a round's verdict on a pipeline from `pipeline()`; `parseApplied` reads its reply. */
  queueApply(pipeline: ChainableCommander, input: VerdictInput): void {
    const { keys } = this.ctx;
    const buckets = verdictBucketKeys(keys, input.checkId, input.round);
    (pipeline as ScriptPipeline<StateCommands>).vigilApplyVerdict(
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
  }

  /** Marks blind checks unknown; returns the previous state of each one that changed. */
  async markBlind(checks: readonly { id: string; blindBefore: number }[], now: number): Promise<Map<string, string>> {
    const pipeline = this.redis.pipeline() as ScriptPipeline<StateCommands>;
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

/** What applying a verdict came to; undefined when the round came too late to count. */
export function parseApplied(reply: unknown): StateChange | undefined {
  const [from, to, transition] = (reply ?? []) as [string?, string?, string?];
  if (from === undefined || to === undefined) return undefined;
  return {
    from: from as CheckStateName,
    to: to as CheckStateName,
    ...(transition && { transition: parseTransition(transition) }),
  };
}

function parseTransition(json: string): Transition {
  const transition = JSON.parse(json) as Transition;
  if (!Array.isArray(transition.detail?.failing)) transition.detail = { ...transition.detail, failing: [] };
  return transition;
}
