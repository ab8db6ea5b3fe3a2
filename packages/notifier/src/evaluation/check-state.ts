import {
  type AlertOn,
  type CheckStateName,
  defineScripts,
  groupByShard,
  type Redis,
  type RedisKeys,
  type ScriptPipeline,
  VERDICT_BUCKET_TTL_S,
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
/** Checks per mark-blind script. */
const BLIND_CHUNK = 500;

interface StateCommands {
  /** How many keys, the outbox, then per round its three keys; then now, the TTLs and per round its six arguments. */
  vigilApplyVerdicts(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<AppliedReply[]>;
  /** How many keys, each check's state hash; then now and per check its blind-before. */
  vigilMarkBlind(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<(string | number)[]>;
  vigilSettleTransition(transitions: string, checkId: string, round: number): Promise<number>;
}

/** apply-verdicts.lua's reply for a round: the state it stayed in, or [from, to, transition], or [] (too late). */
type AppliedReply = string | [string?, string?, string?];

/** One decided round for the state machine. */
export interface VerdictInput {
  checkId: string;
  round: number;
  verdict: Verdict;
  confirmations: number;
  alertOn: AlertOn;
  detail: RoundDetail;
  now: number;
}

export interface StateChange {
  from: CheckStateName;
  to: CheckStateName;
  transition?: Transition;
}

/**
 * A state hash as its readers see it: while a good or ok streak runs, its last round is `lastRound`
 * (apply-verdicts.lua writes `lastGoodRound` and `lastOkRound` only when the streak ends). So is
 * that of a streak zeroed without its end written (mark-blind.lua of the release before, during a
 * rolling upgrade): its stored last round is older than the streak's start, or missing.
 */
export function withStreakRounds(hash: Record<string, string>): Record<string, string> {
  const state = { ...hash };
  const { lastRound } = state;
  if (lastRound === undefined) return state;
  const ran = (streak: string | undefined, last: string | undefined, start: string | undefined) =>
    Number(streak ?? 0) > 0 || (start !== undefined && (last === undefined || Number(last) < Number(start)));
  if (ran(state.goodStreak, state.lastGoodRound, state.recoveryStart)) state.lastGoodRound = lastRound;
  if (ran(state.okStreak, state.lastOkRound, state.okRecoveryStart)) state.lastOkRound = lastRound;
  return state;
}

/** The per-check state machine in Redis: up, degraded, down (after `confirmations`), unknown. */
export class CheckStates {
  private readonly redis: Redis & StateCommands;
  /**
   * A floor of each check's `lastRound` in Redis, from rounds this process applied (or found too late)
   * and from the blind sweep's replies: a check whose floor is past its blind-before needs no sweep.
   */
  private readonly knownRounds = new Map<string, number>();

  constructor(private readonly ctx: { redis: Redis; keys: RedisKeys }) {
    this.redis = defineScripts<StateCommands>(ctx.redis, new URL('./lua/', import.meta.url));
  }

  /** Applies a round's verdict; undefined when the round came too late to count. */
  async apply(input: VerdictInput): Promise<StateChange | undefined> {
    const pipeline = this.pipeline();
    const read = this.queueApplyMany(pipeline, [input]);
    const replies = (await pipeline.exec()) ?? [];
    const [err] = replies[0] ?? [new Error('no reply from Redis')];
    if (err) throw err;
    return read(replies)[0];
  }

  /** A pipeline on the connection the state scripts are defined on: `queueApplyMany` and what goes with it. */
  pipeline(): ChainableCommander {
    return this.redis.pipeline();
  }

  /**
   * Queues the verdicts of many rounds, oldest first, on a pipeline from `pipeline()`: one script per
   * shard present (one on one Redis), each check's rounds in order. The function returned reads the
   * pipeline's replies (this call's come first): a change (or undefined: too late to count) per round.
   */
  queueApplyMany(
    pipeline: ChainableCommander,
    inputs: readonly VerdictInput[],
    now = inputs[0]?.now ?? 0,
  ): (replies: readonly [Error | null, unknown][]) => (StateChange | undefined)[] {
    const groups = groupByShard(this.ctx.keys, inputs, (input) => input.checkId);
    for (const group of groups) this.queueApplyShard(pipeline, group.shard, group.items, now);
    return (replies) => {
      const changes: (StateChange | undefined)[] = new Array(inputs.length);
      groups.forEach((group, i) => {
        const [err, reply] = replies[i] ?? [new Error('no reply from Redis')];
        if (err) return;
        const applied = parseApplied(reply);
        group.positions.forEach((position, j) => {
          changes[position] = applied[j];
        });
        // Applied or too late, each round is at or before its check's `lastRound` now.
        for (const input of group.items) this.noteRound(input.checkId, input.round);
      });
      return changes;
    };
  }

  /** Raises a check's known floor of `lastRound`. */
  private noteRound(checkId: string, round: number): void {
    if (round > (this.knownRounds.get(checkId) ?? Number.NEGATIVE_INFINITY)) this.knownRounds.set(checkId, round);
  }

  /** Forgets what is known of a deleted check's rounds: one created later with its id starts anew. */
  forget(checkId: string): void {
    this.knownRounds.delete(checkId);
  }

  private queueApplyShard(pipeline: ChainableCommander, shard: number, inputs: readonly VerdictInput[], now: number) {
    const { keys } = this.ctx;
    const stateKeys: string[] = [keys.transitions(shard)];
    const args: (string | number)[] = [now, VERDICT_BUCKET_TTL_S.day, VERDICT_BUCKET_TTL_S.hour];
    for (const input of inputs) {
      stateKeys.push(
        keys.checkState(input.checkId),
        keys.verdictDayRing(input.checkId),
        keys.verdictHourRing(input.checkId),
      );
      args.push(
        input.round,
        input.verdict,
        input.confirmations,
        input.checkId,
        JSON.stringify(input.detail),
        input.alertOn,
      );
    }
    (pipeline as ScriptPipeline<StateCommands>).vigilApplyVerdicts(stateKeys.length, ...stateKeys, ...args);
  }

  /**
   * Marks blind checks unknown, a script per `BLIND_CHUNK` checks of one shard in one pipeline (so a
   * sweep of 50,000 never holds Redis long, and on a Cluster each script's keys share a slot);
   * returns the previous state of each one that changed. A check known to have a round at or after
   * its blind-before is not blind and not sent: Redis sees only those this process cannot vouch for.
   */
  async markBlind(all: readonly { id: string; blindBefore: number }[], now: number): Promise<Map<string, string>> {
    const changed = new Map<string, string>();
    const checks = all.filter(
      (check) => (this.knownRounds.get(check.id) ?? Number.NEGATIVE_INFINITY) < check.blindBefore,
    );
    if (checks.length === 0) return changed;
    const pipeline = this.redis.pipeline() as ScriptPipeline<StateCommands>;
    const chunks: (typeof checks)[number][][] = [];
    for (const group of groupByShard(this.ctx.keys, checks, (check) => check.id)) {
      for (let i = 0; i < group.items.length; i += BLIND_CHUNK) {
        const chunk = group.items.slice(i, i + BLIND_CHUNK);
        chunks.push(chunk);
        const stateKeys = chunk.map((check) => this.ctx.keys.checkState(check.id));
        pipeline.vigilMarkBlind(stateKeys.length, ...stateKeys, now, ...chunk.map((check) => check.blindBefore));
      }
    }
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([err, reply], c) => {
      if (err) throw err;
      (reply as (string | number)[]).forEach((previous, i) => {
        const check = chunks[c]?.[i];
        if (!check) return;
        if (typeof previous === 'number') this.noteRound(check.id, previous);
        else if (previous) changed.set(check.id, previous);
      });
    });
    return changed;
  }

  /** A check's state hash, as its readers see it (`withStreakRounds`). */
  async get(checkId: string): Promise<Record<string, string>> {
    return withStreakRounds(await this.ctx.redis.hgetall(this.ctx.keys.checkState(checkId)));
  }

  /** Transitions not yet applied to incidents (the outbox), by check id. */
  async pendingTransitions(): Promise<Transition[]> {
    const { keys } = this.ctx;
    const pipeline = this.ctx.redis.pipeline();
    for (let shard = 0; shard < keys.shards; shard++) pipeline.hvals(keys.transitions(shard));
    return ((await pipeline.exec()) ?? []).flatMap(([err, all]) => {
      if (err) throw err;
      return (all as string[]).map(parseTransition);
    });
  }

  /** Removes an outbox entry once acted on, unless a newer transition replaced it meanwhile. */
  async settle(transition: Transition): Promise<void> {
    const { keys } = this.ctx;
    await this.redis.vigilSettleTransition(
      keys.transitions(keys.shardOf(transition.checkId)),
      transition.checkId,
      transition.round,
    );
  }
}

/** What applying each verdict came to; undefined for a round that came too late to count. */
export function parseApplied(reply: unknown): (StateChange | undefined)[] {
  return ((reply ?? []) as AppliedReply[]).map((applied) => {
    if (typeof applied === 'string') return { from: applied as CheckStateName, to: applied as CheckStateName };
    const [from, to, transition] = applied;
    if (from === undefined || to === undefined) return undefined;
    return {
      from: from as CheckStateName,
      to: to as CheckStateName,
      ...(transition && { transition: parseTransition(transition) }),
    };
  });
}

function parseTransition(json: string): Transition {
  const transition = JSON.parse(json) as Transition;
  if (!Array.isArray(transition.detail?.failing)) transition.detail = { ...transition.detail, failing: [] };
  return transition;
}
