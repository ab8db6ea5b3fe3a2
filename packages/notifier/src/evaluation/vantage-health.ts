import type { RedisKeys } from '@vigil/core';
import type { ChainableCommander } from 'ioredis';
import type { NotifierContext } from '../notifier-context.js';
import { recordVantageHealth } from '../notifier-metrics.js';
import type { RoundRef } from './round-book.js';
import type { RoundVerdict } from './round-verdict.js';
import { SeenWindow } from './vantage-seen.js';

const PROBLEMS = ['impaired', 'silent'] as const;
export type VantageProblem = (typeof PROBLEMS)[number];

export interface VantageStatus {
  vantage: string;
  /**
   * Distinct checks it reported in the window (a HyperLogLog's estimate, ~0.81 % off; a tick counts
   * it only for a vantage whose solo failures it weighs), and those failing only there.
   */
  seen: number;
  solo: number;
  lastHeartbeat?: number;
  problems: VantageProblem[];
  /** The fleet incident of each problem, once opened. */
  incidents: Partial<Record<VantageProblem, string>>;
}

type VantageHealthContext = Pick<
  NotifierContext,
  'redis' | 'keys' | 'log' | 'clock' | 'incidents' | 'vantages' | 'settings' | 'fleetEscalation'
>;

/**
 * The fleet watching itself. A vantage whose checks fail only there (the others see them up) is
 * impaired: its results leave the quorum and the fleet's on-call gets one incident for it. A vantage
 * without a heartbeat is silent, paged the same way. State lives in Redis, so every notifier agrees.
 */
export class VantageHealth {
  /** Judged on each tick and read on every result: kept as ready sets, not rebuilt per read. */
  private byProblem: Record<VantageProblem, ReadonlySet<string>> = { impaired: new Set(), silent: new Set() };
  private readonly startedAt: number;
  private readonly seenWindow: SeenWindow;

  constructor(private readonly ctx: VantageHealthContext) {
    this.startedAt = ctx.clock.now();
    this.seenWindow = new SeenWindow(ctx.keys, ctx.settings.vantages.window);
  }

  impaired(): ReadonlySet<string> {
    return this.byProblem.impaired;
  }

  silent(): ReadonlySet<string> {
    return this.byProblem.silent;
  }

  /**
   * Records who reported a decided round and who failed it alone: on its own round trip, or noted
   * in `batch` (from `observations()`), which writes a whole batch of rounds in a few commands.
   */
  async observe(ref: RoundRef, verdict: RoundVerdict, batch?: Observations): Promise<void> {
    const own = batch ?? this.observations();
    own.note(ref, verdict);
    if (batch) return;
    const pipeline = this.ctx.redis.pipeline();
    own.queue(pipeline);
    await pipeline.exec();
  }

  /** A batch of decided rounds' observations, to queue on a pipeline of the caller's. */
  observations(): Observations {
    return new Observations(this.ctx.keys, this.seenWindow, this.ctx.clock.now());
  }

  /** Each vantage's figures over the window, with its problems as last judged. */
  status(): Promise<VantageStatus[]> {
    return this.read(() => true);
  }

  /**
   * `status()`, counting the checks seen only for the vantages `counting` picks: PFCOUNT merges the
   * window's buckets (12 KB dense HLLs each; ~70–100 µs of Redis a vantage at 1,000–10,000 checks,
   * bench/vantage-seen-ab.ts), which a tick every
   * 2 s of every notifier would pay for nothing while no vantage has solo failures to weigh. The
   * others' `seen` is a lower bound (their solo failures, or the zset before the buckets).
   */
  private async read(
    counting: (solo: number, problems: readonly VantageProblem[]) => boolean,
  ): Promise<VantageStatus[]> {
    const { keys, settings } = this.ctx;
    const now = this.ctx.clock.now();
    const since = now - settings.vantages.window;
    const pipeline = this.ctx.redis.pipeline();
    for (const vantage of this.ctx.vantages) {
      // The zset of checks seen before the buckets (`vantageSeen`, no longer written here) is trimmed
      // and counted as it was: right after an upgrade the buckets hold only what was reported since,
      // and counting them alone would make the solo / seen ratio jump (a healthy vantage judged
      // impaired); a notifier of the version before may still write it during a rolling upgrade.
      // The larger count wins; the zset empties one window after its last write and Redis drops it.
      pipeline.zremrangebyscore(keys.vantageSeen(vantage), '-inf', `(${since}`);
      pipeline.zremrangebyscore(keys.vantageSolo(vantage), '-inf', `(${since}`);
      pipeline.zcard(keys.vantageSeen(vantage));
      pipeline.zcard(keys.vantageSolo(vantage));
    }
    pipeline.hgetall(keys.vantageHeartbeats);
    pipeline.hgetall(keys.vantageProblems);
    const replies = (await pipeline.exec()) ?? [];
    const n = this.ctx.vantages.length;
    const beats = (replies[n * 4]?.[1] ?? {}) as Record<string, string>;
    const stored = (replies[n * 4 + 1]?.[1] ?? {}) as Record<string, string>;
    const statuses: VantageStatus[] = this.ctx.vantages.map((vantage, i) => {
      const solo = Number(replies[i * 4 + 3]?.[1] ?? 0);
      // A check failing only there was reported there: never fewer seen than solo, whatever the estimate.
      return {
        vantage,
        seen: Math.max(solo, Number(replies[i * 4 + 2]?.[1] ?? 0)),
        solo,
        ...problemsOf(vantage, beats, stored),
      };
    });
    const counted = statuses.filter((status) => counting(status.solo, status.problems));
    if (counted.length === 0) return statuses;
    const counts = this.ctx.redis.pipeline();
    for (const { vantage } of counted) counts.pfcount(...this.seenWindow.keysAt(vantage, now));
    const estimates = (await counts.exec()) ?? [];
    counted.forEach((status, i) => {
      const [err, estimate] = estimates[i] ?? [new Error('no reply from Redis')];
      // A bucket unreadable as a HyperLogLog (corrupt, or another type under its name) must not stop
      // the fleet's tick: the count stays the lower bound (solo, the old zset) until the bucket expires.
      if (err) {
        this.ctx.log.warn({ vantage: status.vantage, err: err.message }, 'checks seen by a vantage not counted');
        return;
      }
      status.seen = Math.max(status.seen, Number(estimate));
    });
    return statuses;
  }

  /** Judges every vantage once; opens or resolves the fleet incidents that follow. */
  async tick(): Promise<void> {
    const now = this.ctx.clock.now();
    const { vantages: limits } = this.ctx.settings;
    const next = new Map<string, Set<VantageProblem>>();
    // Solo failures decide before the ratio can: below `minChecks` (or none, for an impaired vantage)
    // the judgement is no whatever the checks seen, so a healthy fleet's tick counts none.
    const weighed = (solo: number, problems: readonly VantageProblem[]) =>
      solo >= limits.minChecks || (solo > 0 && problems.includes('impaired'));
    for (const status of await this.read(weighed)) {
      const has = new Set(status.problems);
      const ratio = status.seen > 0 ? status.solo / status.seen : 0;
      const impaired = has.has('impaired')
        ? status.solo > 0 && ratio >= limits.impairedRatio / 2
        : status.solo >= limits.minChecks && ratio >= limits.impairedRatio;
      const beat = status.lastHeartbeat ?? this.startedAt;
      const silent = now - beat > limits.silentAfter;
      await this.judge(status, 'impaired', impaired, `${status.solo} of ${status.seen} checks failing only there`);
      const quiet = Math.round((now - beat) / 1000);
      await this.judge(status, 'silent', silent, `no heartbeat for ${quiet}s`);
      recordVantageHealth(status.vantage, { silent, impaired });
      next.set(
        status.vantage,
        new Set([...(impaired ? ['impaired' as const] : []), ...(silent ? ['silent' as const] : [])]),
      );
    }
    this.remember(next);
  }

  /** Loads the problems other notifiers judged (at start, before the first tick). */
  async load(): Promise<void> {
    const statuses = await this.read(() => false);
    this.remember(new Map(statuses.map((s) => [s.vantage, new Set(s.problems)])));
  }

  private remember(problems: ReadonlyMap<string, ReadonlySet<VantageProblem>>): void {
    const having = (problem: VantageProblem) =>
      new Set([...problems].filter(([, set]) => set.has(problem)).map(([vantage]) => vantage));
    this.byProblem = { impaired: having('impaired'), silent: having('silent') };
  }

  private async judge(status: VantageStatus, problem: VantageProblem, now: boolean, why: string): Promise<void> {
    const { keys, incidents, clock, log } = this.ctx;
    const field = `${status.vantage}:${problem}`;
    const group = `vantage:${status.vantage}:${problem}`;
    const at = clock.now();
    if (now) {
      if (status.incidents[problem]) return;
      await this.ctx.redis.hsetnx(keys.vantageProblems, field, JSON.stringify({ since: at, why }));
      const outcome = await incidents.openOrJoin(
        {
          group,
          title: `vantage ${status.vantage} ${problem}: ${why}`,
          impact: 'fleet',
          severity: 'major',
          ...(this.ctx.fleetEscalation && { escalation: this.ctx.fleetEscalation }),
          startedAt: at,
          openedMessage: `Vantage ${status.vantage} is ${problem}: ${why}. Its results are left out of the quorum.`,
          joinedMessage: '',
        },
        at,
        this.ctx.settings.reopenWindow,
      );
      await this.ctx.redis.hset(keys.vantageProblems, field, JSON.stringify({ since: at, why, incident: outcome.id }));
      if (outcome.verb !== 'unchanged')
        log.warn({ vantage: status.vantage, incident: outcome.id, why }, `vantage ${problem}`);
    } else if (!status.problems.includes(problem)) {
      // Not stored when this tick read the problems hash: no HDEL. A healthy fleet's tick paid six
      // sequential round trips every 2 s for nothing; one stored since the read is resolved next tick.
      return;
    } else if ((await this.ctx.redis.hdel(keys.vantageProblems, field)) === 1) {
      const incident = await incidents.ofGroup(group);
      if (incident && incident.status !== 'resolved') {
        await incidents.resolve(incident.id, 'vigil', at, `Vantage ${status.vantage} is healthy again.`);
      }
      log.info({ vantage: status.vantage }, `vantage no longer ${problem}`);
    }
  }
}

/** A vantage's heartbeat and problems, from the heartbeats and problems hashes. */
function problemsOf(
  vantage: string,
  beats: Record<string, string>,
  stored: Record<string, string>,
): Pick<VantageStatus, 'lastHeartbeat' | 'problems' | 'incidents'> {
  return {
    ...(beats[vantage] !== undefined && { lastHeartbeat: Number(beats[vantage]) }),
    problems: PROBLEMS.filter((p) => stored[`${vantage}:${p}`] !== undefined),
    incidents: Object.fromEntries(
      PROBLEMS.map((p) => [p, (JSON.parse(stored[`${vantage}:${p}`] ?? '{}') as { incident?: string }).incident]),
    ),
  };
}

/** What a batch does to one member of a vantage's solo-failure set, once every round in it is applied in order. */
type SoloOp = { op: 'add' | 'addIfPresent'; round: number } | { op: 'remove' };

/**
 * The observations of a batch of decided rounds (noted oldest first), as their net effect on each
 * vantage's keys: a PFADD of the checks it reported in each time bucket the batch's rounds fall in
 * (with its PEXPIRE), and at most three commands for its solo failures, however many rounds the batch decided.
 */
export class Observations {
  /** Vantage → bucket start → the checks it reported in rounds of that bucket. */
  private readonly seen = new Map<string, Map<number, Set<string>>>();
  private readonly solo = new Map<string, Map<string, SoloOp>>();

  constructor(
    private readonly keys: RedisKeys,
    private readonly window: SeenWindow,
    /** When the batch is written: bucket keys expire relative to it. */
    private readonly now: number,
  ) {}

  note(ref: RoundRef, verdict: RoundVerdict): void {
    const solo = new Set(verdict.soloFailures);
    const up = new Set(verdict.reportersUp);
    for (const vantage of verdict.reporters) {
      const buckets = this.of(this.seen, vantage);
      const start = this.window.bucketOf(ref.round);
      const bucket = buckets.get(start) ?? new Set<string>();
      buckets.set(start, bucket.add(ref.checkId));
      // Only seeing the check up clears a solo failure: a real outage failing everywhere says
      // nothing about this vantage, and must not make an impaired one look healed.
      const ops = this.of(this.solo, vantage);
      if (solo.has(vantage)) ops.set(ref.checkId, { op: 'add', round: ref.round });
      else if (up.has(vantage)) ops.set(ref.checkId, { op: 'remove' });
      else {
        // Bumping a member only when present: present after an add, absent after a remove.
        const before = ops.get(ref.checkId)?.op;
        if (before === 'remove') continue;
        ops.set(ref.checkId, { op: before === 'add' ? 'add' : 'addIfPresent', round: ref.round });
      }
    }
  }

  queue(pipeline: ChainableCommander): void {
    this.window.queue(pipeline, this.seen, this.now);
    for (const [vantage, members] of this.solo) {
      const key = this.keys.vantageSolo(vantage);
      const add: (string | number)[] = [];
      const bump: (string | number)[] = [];
      const remove: string[] = [];
      for (const [checkId, op] of members) {
        if (op.op === 'remove') remove.push(checkId);
        else (op.op === 'add' ? add : bump).push(op.round, checkId);
      }
      if (add.length > 0) pipeline.zadd(key, ...add);
      if (bump.length > 0) pipeline.zadd(key, 'XX', ...bump);
      if (remove.length > 0) pipeline.zrem(key, ...remove);
    }
  }

  private of<K, T>(map: Map<string, Map<K, T>>, vantage: string): Map<K, T> {
    let members = map.get(vantage);
    if (!members) {
      members = new Map();
      map.set(vantage, members);
    }
    return members;
  }
}
