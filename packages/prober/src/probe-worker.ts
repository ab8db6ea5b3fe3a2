import {
  type Clock,
  checkTarget,
  isRoundExpired,
  type ProbeJobData,
  type ProbeResult,
  probeQueueName,
  roundFromJobId,
} from '@vigil/core';
import { type Job, Worker } from 'bullmq';
import { HostLimiter } from './host-limiter.js';
import { runProbe } from './probe.js';
import { ProbeMetrics } from './probe-metrics.js';
import type { ProberContext } from './prober-context.js';
import { ResultSink } from './result-sink.js';

export interface ProbeWorkerOptions {
  heartbeatEveryMs?: number;
}

/** What happened to a probe job; the BullMQ return value, and what tests read. */
export type ProbeJobOutcome = { probed: true; ok: boolean } | { probed: false; dropped: 'expired' };

const COUNTERS = ['probes', 'ok', 'failed', 'expired', 'blocked'] as const;
type Counter = (typeof COUNTERS)[number];

/**
 * The prober of one vantage: takes probe jobs from `probe.<vantage>`, drops rounds that are already
 * stale (counted, never run late), caps concurrency per target host, runs the probe and hands the
 * result to the `results` queue. Heartbeats and counters go to Redis every few seconds; Prometheus
 * metrics (blackbox_exporter's per-check names, and Vigil's fleet ones) to the process registry.
 */
export class ProbeWorker {
  private readonly worker: Worker<ProbeJobData, ProbeJobOutcome>;
  private readonly sink: ResultSink;
  private readonly limiter: HostLimiter;
  private readonly metrics: ProbeMetrics;
  private readonly clock: Clock;
  private readonly counts = new Map<Counter, number>();
  private heartbeat: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  /** Heartbeats and counters go out on `ctx.redis`; jobs and results on `ctx.connection`. */
  constructor(
    private readonly ctx: ProberContext,
    private readonly options: ProbeWorkerOptions = {},
  ) {
    const { connection, keys, vantage, settings, log } = ctx;
    this.clock = ctx.clock;
    this.limiter = new HostLimiter(settings.perHostConcurrency);
    this.metrics = new ProbeMetrics(vantage.id, settings.metrics);
    this.sink = new ResultSink(connection, keys.prefix);
    this.worker = new Worker<ProbeJobData, ProbeJobOutcome>(probeQueueName(vantage.id), (job) => this.process(job), {
      connection,
      prefix: keys.prefix,
      concurrency: settings.concurrency,
      autorun: false,
      maxStalledCount: 1,
      ...(settings.rateLimit && { limiter: { max: settings.rateLimit.max, duration: settings.rateLimit.per } }),
    });
    this.worker.on('error', (err) => log.error({ err }, 'probe worker error'));
    this.worker.on('failed', (job, err) =>
      log.warn({ err, check: job?.data.check.id, jobId: job?.id }, 'probe job failed'),
    );
  }

  /** Starts taking jobs; resolves once the worker is connected. */
  async start(): Promise<void> {
    void this.worker.run();
    await this.worker.waitUntilReady();
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), this.options.heartbeatEveryMs ?? 5_000);
  }

  /** Stops taking jobs, lets the probes in flight finish and report, then flushes counters. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.heartbeat);
      await this.worker.close();
      await this.sink.close();
      await this.beat();
    })();
    return this.closing;
  }

  private async process(job: Job<ProbeJobData, ProbeJobOutcome>): Promise<ProbeJobOutcome> {
    const { check } = job.data;
    const round = job.data.round ?? roundFromJobId(job.id) ?? job.timestamp + (job.opts.delay ?? 0);
    const result = await this.limiter.run(checkTarget(check), async () => {
      if (isRoundExpired({ round, check }, this.clock.now())) return undefined;
      this.metrics.started(round, this.clock.now());
      return runProbe(check, {
        vantage: this.ctx.vantage.id,
        round,
        guard: this.ctx.allowances.guardFor(check) ?? this.ctx.guard,
        clock: this.clock,
        ...(this.ctx.vantage.sourceAddress && { localAddress: this.ctx.vantage.sourceAddress }),
      });
    });
    if (!result) {
      this.count('expired');
      this.metrics.expired();
      return { probed: false, dropped: 'expired' };
    }
    await this.sink.send({ result, intervalMs: check.intervalMs });
    this.tally(result);
    this.metrics.record(result, check, this.clock.now());
    return { probed: true, ok: result.ok };
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
    const pipeline = redis.pipeline().hset(keys.vantageHeartbeats, vantage.id, this.clock.now());
    for (const [counter, value] of this.counts)
      pipeline.hincrby(keys.proberCounters, `${vantage.id}:${counter}`, value);
    this.counts.clear();
    await pipeline.exec().catch((err: unknown) => this.ctx.log.warn({ err }, 'heartbeat failed'));
  }
}
