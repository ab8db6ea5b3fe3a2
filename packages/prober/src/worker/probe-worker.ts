import {
  type Clock,
  checkLimitKey,
  isRoundExpired,
  type ProbeJobData,
  type ProbeResult,
  type ProbeTarget,
  probeQueueName,
  roundFromJobId,
  type SlotJobData,
} from '@vigil/core';
import { type Job, Worker } from 'bullmq';
import { preflightKinds } from '../kinds/preflight.js';
import { HostLimiter } from '../net/host-limiter.js';
import { type ProbeOptions, runProbe } from '../probe.js';
import type { ProberContext } from '../prober-context.js';
import { ProbeMetrics } from './probe-metrics.js';
import { RateGate } from './rate-gate.js';
import { type ResultBatching, ResultSink } from './result-sink.js';
import { SlotMembers } from './slot-members.js';
import { SlotProgress } from './slot-progress.js';

/** Runs one probe of a check; never throws for anything a target does. */
export type ProbeFunction = (target: ProbeTarget, options: ProbeOptions) => Promise<ProbeResult>;

export interface ProbeWorkerOptions {
  heartbeatEveryMs?: number;
  /**
   * What runs each probe: `runProbe` unless given. `pnpm bench scale` gives one that answers from
   * memory, so the job protocol, limits and result batches are the real ones without connections.
   */
  probe?: ProbeFunction;
  /** How results are gathered into batches (`DEFAULT_RESULT_BATCHING` unless given). */
  resultBatching?: ResultBatching;
}

/** What happened to one probe of a job. */
export type ProbeOutcome = { probed: true; ok: boolean } | { probed: false; dropped: 'expired' };

/** What happened to a job: a probe job's one probe, or a slot job's tally; the BullMQ return value. */
export type ProbeJobOutcome = ProbeOutcome | { slot: string; probed: number; expired: number };

type AnyJobData = ProbeJobData | SlotJobData;

/** The one key of the process-wide gate: `settings.concurrency` probes at once, whatever their jobs. */
const ALL = '';

const COUNTERS = ['probes', 'ok', 'failed', 'expired', 'blocked', 'unreadable'] as const;
type Counter = (typeof COUNTERS)[number];

/**
 * The prober of one vantage: takes slot jobs (one round of every check in a slot) and single probe
 * jobs from `probe.<vantage>`, drops rounds that are already stale (counted, never run late), caps
 * concurrency in all and per target host, holds to the vantage's rate limit, runs each probe and
 * hands its result to the `results` queue. Heartbeats and counters go to Redis every few seconds;
 * Prometheus metrics (blackbox_exporter's per-check names, and Vigil's fleet ones) to the process
 * registry.
 */
export class ProbeWorker {
  private readonly worker: Worker<AnyJobData, ProbeJobOutcome>;
  private readonly sink: ResultSink;
  private readonly limiter: HostLimiter;
  /** `settings.concurrency` probes at once across every job this process runs. */
  private readonly gate: HostLimiter;
  private readonly rate: RateGate | undefined;
  private readonly slots: SlotMembers;
  private readonly metrics: ProbeMetrics;
  private readonly clock: Clock;
  private readonly counts = new Map<Counter, number>();
  private heartbeat: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  /** Probes started and not yet handed to the sink (or dropped), across every job. */
  private probing = 0;

  /** Heartbeats and counters go out on `ctx.redis`; jobs and results on `ctx.connection`. */
  constructor(
    private readonly ctx: ProberContext,
    private readonly options: ProbeWorkerOptions = {},
  ) {
    const { connection, keys, vantage, settings, log } = ctx;
    this.clock = ctx.clock;
    this.limiter = new HostLimiter(settings.perHostConcurrency);
    this.gate = new HostLimiter(settings.concurrency);
    this.rate =
      settings.rateLimit &&
      new RateGate(ctx.redis, {
        window: keys.proberRateWindow(vantage.id),
        max: settings.rateLimit.max,
        perMs: settings.rateLimit.per,
      });
    this.slots = new SlotMembers({
      redis: ctx.redis,
      keys,
      vantage: vantage.id,
      // The value is never logged: a target's headers and URL may hold credentials.
      onUnreadable: (checkId) => {
        this.count('unreadable');
        log.warn({ checkId, vantage: vantage.id }, 'probe target in the store unreadable: check skipped this round');
      },
    });
    this.metrics = new ProbeMetrics(vantage.id, settings.metrics);
    this.sink = new ResultSink(connection, keys, options.resultBatching);
    this.worker = new Worker<AnyJobData, ProbeJobOutcome>(probeQueueName(vantage.id), (job) => this.process(job), {
      connection,
      prefix: keys.queuePrefix(probeQueueName(vantage.id)),
      concurrency: settings.concurrency,
      autorun: false,
      maxStalledCount: 1,
    });
    this.worker.on('error', (err) => log.error({ err }, 'probe worker error'));
    this.worker.on('failed', (job, err) => log.warn({ err, jobId: job?.id }, 'probe job failed'));
  }

  /** Starts taking jobs; resolves once the worker is connected. */
  async start(): Promise<void> {
    await preflightKinds(this.ctx.log);
    void this.worker.run();
    await this.worker.waitUntilReady();
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), this.options.heartbeatEveryMs ?? 5_000);
  }

  /** Stops taking jobs, lets the probes in flight finish and report, then flushes counters. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.heartbeat);
      this.sink.hurry();
      await this.worker.close();
      await this.sink.close();
      await this.beat();
    })();
    return this.closing;
  }

  private process(job: Job<AnyJobData, ProbeJobOutcome>): Promise<ProbeJobOutcome> {
    const { data } = job;
    const round = data.round ?? roundFromJobId(job.id) ?? job.timestamp + (job.opts.delay ?? 0);
    if ('slot' in data) return this.processSlot(job, data, round);
    return this.probe(data.check, round);
  }

  /**
   * One round of every check in a slot, each under the same limits and deadline as a probe job.
   * Killed midway, the job is claimed again once stalled: the checks it had done are skipped, the
   * rest either run within the round's interval or are dropped as expired, never run late.
   */
  private async processSlot(
    job: Job<AnyJobData, ProbeJobOutcome>,
    data: SlotJobData,
    round: number,
  ): Promise<ProbeJobOutcome> {
    const progress = new SlotProgress(job);
    const targets = await this.slots.targets(data.slot, this.clock.now());
    const todo = targets.filter((target) => !progress.has(target.id));
    // Once the slot's last probe is done, its results go out together rather than wait the window.
    let running = todo.length;
    const onProbed = () => {
      running -= 1;
      if (running === 0) this.sink.flush();
    };
    const started: Promise<ProbeOutcome | undefined>[] = [];
    let failure: { error: unknown } | undefined;
    try {
      // A probe starts only once it has a place in the process-wide gate, taken here one at a time:
      // the slot's other checks wait as entries of `todo`, not as suspended probes (~1.4 KB each,
      // ~14 MB for the 10,000 a prober that fell behind had waiting). Once served, the slot asks
      // again first in line, so slots still go in the order they came, one after the other.
      let served = false;
      for (const target of todo) {
        if (failure) break;
        const place = this.gate.acquire(ALL, { first: served });
        if (place) await place;
        served = place !== undefined;
        const probing = this.probe(target, round, { gateHeld: true, slotProbed: onProbed });
        started.push(
          probing.then(
            (outcome) => {
              progress.add(target.id);
              return outcome;
            },
            (error: unknown) => {
              failure ??= { error };
              return undefined;
            },
          ),
        );
      }
      const outcomes = await Promise.all(started);
      // A probe that threw (its result could not be sent) fails the job, as it did before.
      if (failure) throw failure.error;
      const probed = outcomes.filter((outcome) => outcome?.probed).length;
      return { slot: data.slot, probed, expired: outcomes.length - probed };
    } finally {
      progress.stop();
    }
  }

  /**
   * `slotProbed` is called once the probe is over and its result (if any) handed to the sink;
   * `gateHeld`: the caller has taken this probe's place in the gate (and it is given back here).
   */
  private async probe(
    check: ProbeTarget,
    round: number,
    { gateHeld = false, slotProbed }: { gateHeld?: boolean; slotProbed?: () => void } = {},
  ): Promise<ProbeOutcome> {
    // When no probe of this worker is left running, nothing will join the batch before its window
    // ends: it goes out now. Without this, jobs of one probe each (every job waits for its result to
    // be safe) would fill the worker's concurrency and idle out the window together.
    this.probing += 1;
    const probed = () => {
      this.probing -= 1;
      slotProbed?.();
      if (this.probing === 0) this.sink.flush();
    };
    let result: ProbeResult | undefined;
    try {
      const place = gateHeld ? undefined : this.gate.acquire(ALL);
      if (place) await place;
      result = await this.runHeld(check, round);
    } catch (err) {
      probed();
      throw err;
    }
    if (!result) {
      probed();
      this.count('expired');
      this.metrics.expired();
      return { probed: false, dropped: 'expired' };
    }
    const sent = this.sink.send({ result, intervalMs: check.intervalMs });
    probed();
    await sent;
    this.tally(result);
    this.metrics.record(result, check, this.clock.now());
    return { probed: true, ok: result.ok };
  }

  /** One probe in a place of the gate (given back when it settles): rate limit, host limit, deadline. */
  private async runHeld(check: ProbeTarget, round: number): Promise<ProbeResult | undefined> {
    try {
      if (this.rate && !isRoundExpired({ round, check }, this.clock.now())) await this.rate.take();
      return await this.limiter.run(checkLimitKey(check), async () => {
        if (isRoundExpired({ round, check }, this.clock.now())) return undefined;
        this.metrics.started(round, this.clock.now());
        return (this.options.probe ?? runProbe)(check, {
          vantage: this.ctx.vantage.id,
          round,
          guard: this.ctx.allowances.guardFor(check) ?? this.ctx.guard,
          clock: this.clock,
          ...(this.ctx.vantage.sourceAddress && { localAddress: this.ctx.vantage.sourceAddress }),
          ...(this.ctx.resolve && { resolve: this.ctx.resolve }),
        });
      });
    } finally {
      this.gate.release(ALL);
    }
  }

  private tally(result: ProbeResult): void {
    this.count('probes');
    this.count(result.ok ? 'ok' : 'failed');
    if (result.error === 'blocked_target') this.count('blocked');
  }

  private count(counter: Counter): void {
    this.counts.set(counter, (this.counts.get(counter) ?? 0) + 1);
  }

  private async beat(): Promise<void> {
    const { redis, keys, vantage } = this.ctx;
    this.metrics.sweep(this.clock.now());
    this.slots.sweep(this.clock.now());
    const pipeline = redis.pipeline().hset(keys.vantageHeartbeats, vantage.id, this.clock.now());
    for (const [counter, value] of this.counts)
      pipeline.hincrby(keys.proberCounters, `${vantage.id}:${counter}`, value);
    this.counts.clear();
    await pipeline.exec().catch((err: unknown) => this.ctx.log.warn({ err }, 'heartbeat failed'));
  }
}
