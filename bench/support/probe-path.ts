/**
 * The probe path as production runs it: probe jobs on `probe.<vantage>` → a real ProbeWorker in a
 * process of its own → the result stream → (with `record`) a real ResultRecorder in this process
 * → Redis. Each run fills the queue while it is paused, then resumes it and times from there to the
 * last result: what is measured is the prober working, not the bench adding jobs. Without `record`
 * the path ends at the result stream — the prober process's own throughput, the bar of DESIGN.md.
 * `jobs: 'slot'` sends what the scheduler sends in production instead of a job per probe: slot jobs
 * of `SLOT_CHUNK_SIZE` checks each, their members (beside the queue) and targets (the probe target
 * store) written first.
 */

import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createLogger,
  decodeResultBatch,
  encodeSlotMembers,
  encodeStoredTarget,
  type ProbeJobData,
  type ProbeTarget,
  probeQueueName,
  type RecordOutcome,
  type ResultJobData,
  ResultStore,
  type SlotJobData,
  targetRevision,
} from '@vigil/core';
import { ResultRecorder } from '@vigil/notifier';
import { PROBE_JOB_OPTIONS, SLOT_CHUNK_SIZE } from '@vigil/scheduler';
import { Queue } from 'bullmq';
import { proberSettings } from './checks.js';
import { type Child, startChild } from './child.js';
import type { LoadRun } from './pool.js';
import type { BenchRedis } from './redis.js';

const VANTAGE = 'bench';
const ADD_CHUNK = 1_000;
/** Longer than a bench probe's timeout: what is in flight has finished after it. */
const SETTLE_MS = 6_000;
const POLL_MS = 10;

interface Tally {
  run: LoadRun;
  expected: number;
  started: number;
  finish: () => void;
}

/** What a run queues: a job per probe (one-off probes), or slot jobs of many checks (what the scheduler sends). */
export type ProbeJobs = 'probe' | 'slot';

export interface ProbePathRun {
  targets: readonly ProbeTarget[];
  count: number;
  maxMs: number;
  jobs?: ProbeJobs;
}

export class ProbePath {
  private readonly queue: Queue<ProbeJobData | SlotJobData>;
  private readonly recorder: ResultRecorder | undefined;
  private prober: Child | undefined;
  private tally: Tally | undefined;

  constructor(
    private readonly bench: BenchRedis,
    private readonly options: { concurrency: number; record: boolean },
  ) {
    const log = createLogger({ level: 'warn', destination: process.stderr });
    const { keys, redis } = bench;
    const connection = bench.connection('queues');
    this.queue = new Queue<ProbeJobData | SlotJobData>(probeQueueName(VANTAGE), {
      connection,
      prefix: keys.queuePrefix(probeQueueName(VANTAGE)),
    });
    if (options.record) {
      this.recorder = new ResultRecorder(
        { connection: bench.connection('recorder'), keys, log, results: new ResultStore({ redis, keys }) },
        { onRecorded: (data, outcome) => this.count(data, outcome) },
      );
    }
  }

  /** The prober process, for reading its CPU time. */
  get proberPid(): number | undefined {
    return this.prober?.pid;
  }

  async start(): Promise<void> {
    const { concurrency } = this.options;
    const settings = proberSettings({ concurrency, perHostConcurrency: concurrency });
    const args = JSON.stringify({ redisUrl: this.bench.url, prefix: this.bench.prefix, vantage: VANTAGE, settings });
    await this.queue.pause();
    this.prober = await startChild('./prober-process.ts', [args]);
    await this.recorder?.start();
  }

  /**
   * Queues `count` probes of `targets` (cycling through them), one job each or in slot jobs, lets
   * them go, waits until all are through.
   */
  async run(options: ProbePathRun): Promise<LoadRun> {
    const run: LoadRun = { done: 0, ok: 0, failed: {}, latencies: [], elapsedMs: 0 };
    if (options.jobs === 'slot') await this.addSlotJobs(options.targets, options.count);
    else await this.addJobs(options.targets, options.count);
    const started = performance.now();
    const finished = new Promise<void>((finish) => {
      this.tally = { run, expected: options.count, started, finish };
    });
    await this.queue.resume();
    const through = this.recorder ? finished : this.pollProbes(started + options.maxMs);
    await Promise.race([through, sleep(options.maxMs)]);
    this.tally = undefined;
    await this.queue.pause();
    if (!this.recorder) await this.countQueuedResults(run);
    if (run.done < options.count) {
      run.elapsedMs = performance.now() - started;
      await this.queue.drain(true);
      await sleep(SETTLE_MS);
    }
    if (!this.recorder) await this.bench.redis.del(this.bench.keys.resultStream(0));
    return run;
  }

  async close(): Promise<void> {
    await this.prober?.stop();
    await this.recorder?.close();
    await this.queue.obliterate({ force: true }).catch(() => {});
    await this.queue.close();
  }

  /**
   * Without a recorder: waits until no probe job is left. A probe job completes only once its
   * result is in the result stream, so that is the moment the last result was queued.
   */
  private async pollProbes(deadline: number): Promise<void> {
    for (;;) {
      const tally = this.tally;
      if (!tally || performance.now() > deadline) return;
      const counts = await this.queue.getJobCounts('wait', 'active', 'paused', 'prioritized');
      if (Object.values(counts).every((n) => n === 0)) {
        tally.run.elapsedMs = performance.now() - tally.started;
        return;
      }
      await sleep(POLL_MS);
    }
  }

  /** After a run without a recorder: counts the results the batches in the result stream carry (one Redis). */
  private async countQueuedResults(run: LoadRun): Promise<void> {
    for (const [, fields] of await this.bench.redis.xrange(this.bench.keys.resultStream(0), '-', '+')) {
      for (const { result } of decodeResultBatch(fields) as ResultJobData[]) {
        run.done++;
        run.latencies.push(result.timings.total);
        if (result.ok) run.ok++;
        else run.failed[result.error ?? 'unknown'] = (run.failed[result.error ?? 'unknown'] ?? 0) + 1;
      }
    }
  }

  private async addJobs(targets: readonly ProbeTarget[], count: number): Promise<void> {
    const round = Date.now();
    for (let from = 0; from < count; from += ADD_CHUNK) {
      const jobs = [];
      for (let i = from; i < Math.min(count, from + ADD_CHUNK); i++) {
        const check = targets[i % targets.length];
        if (!check) throw new Error('no targets to probe');
        // A round of its own per job, so no two jobs share a (check, vantage, round) and none is a duplicate.
        const data: ProbeJobData = { check, vantage: VANTAGE, round: round + i };
        jobs.push({ name: 'probe', data, opts: PROBE_JOB_OPTIONS });
      }
      await this.queue.addBulk(jobs);
    }
  }

  /**
   * Slot jobs as the scheduler makes them (scheduler-sync.ts): `targets` cut into slots of
   * `SLOT_CHUNK_SIZE`, each target's JSON in the probe target store and each slot's string (its
   * members' fingerprint, then a check id and target revision a line) in Redis, then
   * one job per slot and round, each job a round of its own, until `count` probes (rounded up to
   * whole slots) are queued.
   */
  private async addSlotJobs(targets: readonly ProbeTarget[], count: number): Promise<void> {
    const slots: string[] = [];
    const write = this.bench.redis.pipeline();
    for (let from = 0; from < targets.length; from += SLOT_CHUNK_SIZE) {
      const slot = `bench.${targets[0]?.id ?? 'none'}.${from / SLOT_CHUNK_SIZE}@${VANTAGE}`;
      const { keys } = this.bench;
      const members = targets.slice(from, from + SLOT_CHUNK_SIZE).map((target) => {
        const json = JSON.stringify(target);
        write.hset(keys.probeTargets(VANTAGE, keys.shardOf(target.id)), target.id, encodeStoredTarget(json));
        return { id: target.id, revision: targetRevision(json) };
      });
      const fingerprint = createHash('sha1').update(JSON.stringify(members)).digest('base64url');
      write.set(keys.slot(VANTAGE, slot), encodeSlotMembers(fingerprint, members));
      slots.push(slot);
    }
    await write.exec();
    const round = Date.now();
    const intervalMs = targets[0]?.intervalMs ?? 30_000;
    const jobs = [];
    for (let queued = 0, i = 0; queued < count; i++) {
      const slot = slots[i % slots.length];
      if (!slot) throw new Error('no targets to probe');
      const size = Math.min(SLOT_CHUNK_SIZE, targets.length - (i % slots.length) * SLOT_CHUNK_SIZE);
      const data: SlotJobData = { slot, vantage: VANTAGE, intervalMs, round: round + i };
      jobs.push({ name: 'slot', data, opts: PROBE_JOB_OPTIONS });
      queued += size;
    }
    await this.queue.addBulk(jobs);
  }

  private count({ result }: ResultJobData, outcome: RecordOutcome): void {
    const tally = this.tally;
    if (!tally || outcome === 'duplicate') return;
    const { run } = tally;
    run.done++;
    run.latencies.push(result.timings.total);
    if (result.ok) run.ok++;
    else run.failed[result.error ?? 'unknown'] = (run.failed[result.error ?? 'unknown'] ?? 0) + 1;
    if (run.done === tally.expected) {
      run.elapsedMs = performance.now() - tally.started;
      tally.finish();
    }
  }
}
