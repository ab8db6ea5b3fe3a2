/**
 * Scheduling at fleet size: 10,000 TCP checks × 3 vantages at a 30 s interval through the real
 * Scheduler (registry → slot job schedulers), one real ProbeWorker process per vantage and a real
 * ResultRecorder. DESIGN.md's bars: probe start lateness p99 < 1 s, no round lost, no herd at :00.
 */

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Check, CheckRegistry, createLogger, type Logger, ResultStore } from '@vigil/core';
import { ResultRecorder } from '@vigil/notifier';
import { createSchedulerContext, desiredSchedulers, Scheduler, SchedulerSync } from '@vigil/scheduler';
import { checkSeries, proberSettings, templateCheck } from './support/checks.js';
import { type Child, startChild } from './support/child.js';
import { type BenchRedis, benchRedis } from './support/redis.js';
import { type BenchReport, progress } from './support/report.js';
import { type RoundFigures, RoundTally } from './support/round-tally.js';
import { fmt } from './support/stats.js';
import type { Table } from './support/table.js';
import { startTarget } from './support/target.js';

export interface ScheduleBenchOptions {
  checks: number;
  vantages: string[];
  intervalMs: number;
  /** Whole intervals in the measuring window, which opens once every scheduler exists. */
  windowRounds: number;
  /** After the window: how long to wait at most for its last results to be recorded. */
  settleMs: number;
  /** Registry writes in flight at once while registering the checks. */
  registerParallel: number;
}

export const SCHEDULE_DEFAULTS: ScheduleBenchOptions = {
  checks: 10_000,
  vantages: ['alpha', 'beta', 'gamma'],
  intervalMs: 30_000,
  windowRounds: 2,
  settleMs: 15_000,
  registerParallel: 500,
};

interface Timings {
  registerMs: number;
  reconcileMs: number;
  resyncMs: number;
}

interface Fleet {
  scheduler?: Scheduler;
  recorder?: ResultRecorder;
  probers: Child[];
}

export async function scheduleBench(options: ScheduleBenchOptions = SCHEDULE_DEFAULTS): Promise<BenchReport> {
  const bench = await benchRedis();
  const target = await startTarget();
  const log = createLogger({ level: 'warn', destination: process.stderr });
  const fleet: Fleet = { probers: [] };
  try {
    const template = templateCheck({
      tcp: { host: '127.0.0.1', port: target.tcpPort },
      interval: '30s',
      timeout: '5s',
    });
    const checks = checkSeries({ ...template, intervalMs: options.intervalMs }, 'check', options.checks);
    const tally = new RoundTally(
      checks.map((check) => check.id),
      options.vantages,
      options.intervalMs,
    );
    const registerMs = await timed(() => register(bench, checks, options.registerParallel));
    progress(`registered ${fmt(checks.length)} checks in ${fmt(registerMs)} ms`);
    await startWorkers(bench, fleet, { log, tally, vantages: options.vantages });
    fleet.scheduler = newScheduler(bench, options.vantages, log);
    const scheduler = fleet.scheduler;
    const schedulers = desiredSchedulers(checks, options.vantages).size;
    progress(`reconciling ${fmt(schedulers)} job schedulers…`);
    const reconcileMs = await timed(() => scheduler.start());
    const from = Date.now();
    const window = { from, to: from + options.windowRounds * options.intervalMs };
    tally.open(window);
    progress(
      `reconciled in ${fmt(reconcileMs / 1000, 1)} s; measuring rounds due until ${new Date(window.to).toISOString()}`,
    );
    await waitForWindow(tally, window.to, options.settleMs);
    await scheduler.close();
    const resyncMs = await timed(() => resync(bench, options.vantages, log));
    await stopWorkers(fleet);
    const expired = await expiredCounts(bench, options.vantages);
    return report(tally.figures(), { registerMs, reconcileMs, resyncMs }, { options, expired, schedulers });
  } finally {
    await fleet.scheduler?.close();
    await stopWorkers(fleet);
    await target.stop();
    await bench.cleanup();
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** `CheckRegistry.put` for every check, `parallel` at a time (their commands share round trips). */
async function register(bench: BenchRedis, checks: readonly Check[], parallel: number): Promise<void> {
  const registry = new CheckRegistry({ redis: bench.redis, keys: bench.keys });
  for (let i = 0; i < checks.length; i += parallel) {
    await Promise.all(checks.slice(i, i + parallel).map((check) => registry.put(check)));
  }
}

async function startWorkers(
  bench: BenchRedis,
  fleet: Fleet,
  { log, tally, vantages }: { log: Logger; tally: RoundTally; vantages: readonly string[] },
): Promise<void> {
  fleet.recorder = new ResultRecorder(
    { connection: bench.connection('recorder'), keys: bench.keys, log, results: new ResultStore(bench) },
    { onRecorded: tally.add },
  );
  await fleet.recorder.start();
  const settings = proberSettings();
  for (const vantage of vantages) {
    const args = JSON.stringify({ redisUrl: bench.url, prefix: bench.prefix, vantage, settings });
    fleet.probers.push(await startChild('./prober-process.ts', [args]));
  }
  progress(`recorder and ${vantages.length} prober processes started (concurrency ${settings.concurrency} each)`);
}

/** Stops probers first (they flush their counters on close), then the recorder. Idempotent. */
async function stopWorkers(fleet: Fleet): Promise<void> {
  const probers = fleet.probers.splice(0);
  await Promise.all(probers.map((prober) => prober.stop()));
  await fleet.recorder?.close();
}

function newScheduler(bench: BenchRedis, vantages: readonly string[], log: Logger): Scheduler {
  return new Scheduler(createSchedulerContext(bench.role('scheduler', log), { vantages }));
}

/** Waits out the window, then until its results are in (or `settleMs` more). */
async function waitForWindow(tally: RoundTally, to: number, settleMs: number): Promise<void> {
  const expected = tally.expected();
  while (Date.now() < to) {
    await sleep(Math.min(10_000, to - Date.now()));
    progress(`${fmt(tally.recorded)} of ${fmt(expected)} window results recorded`);
  }
  const deadline = Date.now() + settleMs;
  while (tally.recorded < expected && Date.now() < deadline) await sleep(250);
}

/** What the Scheduler's periodic thorough reconcile costs at this size when nothing changed. */
async function resync(bench: BenchRedis, vantages: readonly string[], log: Logger): Promise<void> {
  const registry = new CheckRegistry({ redis: bench.redis, keys: bench.keys });
  const sync = new SchedulerSync({ redis: bench.redis, connection: bench.connection('resync'), keys: bench.keys, log });
  try {
    const report = await sync.apply(desiredSchedulers(await registry.list(), vantages), vantages, true);
    if (report.upserted > 0 || report.removed > 0) progress(`resync was not a no-op: ${JSON.stringify(report)}`);
  } finally {
    await sync.close();
  }
}

async function expiredCounts(bench: BenchRedis, vantages: readonly string[]): Promise<Record<string, number>> {
  const counters = await bench.redis.hgetall(bench.keys.proberCounters);
  return Object.fromEntries(vantages.map((vantage) => [vantage, Number(counters[`${vantage}:expired`] ?? 0)]));
}

function report(
  figures: RoundFigures,
  timings: Timings,
  context: { options: ScheduleBenchOptions; expired: Record<string, number>; schedulers: number },
): BenchReport {
  const { options, expired, schedulers } = context;
  const expiredTotal = Object.values(expired).reduce((a, b) => a + b, 0);
  const yes = (met: boolean) => (met ? 'met' : 'NOT met');
  const { lateness } = figures;
  const rows = [
    ['probe start lateness p50 (ms)', fmt(lateness.p50), '0', '', ''],
    ['probe start lateness p99 (ms)', fmt(lateness.p99), '0', '< 1,000', yes(lateness.p99 < 1_000)],
    ['probe start lateness max (ms)', fmt(lateness.max), '0', '', ''],
    [`rounds lost (of ${fmt(figures.expected)} due in window)`, fmt(figures.lost), '0', '0', yes(figures.lost === 0)],
    ['results dropped as expired (whole run)', fmt(expiredTotal), '0', '0', yes(expiredTotal === 0)],
    [
      'busiest second ÷ mean (probe starts)',
      `${fmt(figures.busiestOverMean, 2)}×`,
      '1.00×',
      '< 2×',
      yes(figures.busiestOverMean < 2),
    ],
    ['  the offsets alone (scheduled rounds)', `${fmt(figures.offsetsBusiestOverMean, 2)}×`, '1.00×', '', ''],
    [`register ${fmt(options.checks)} checks (s)`, fmt(timings.registerMs / 1000, 1), '', '', ''],
    [`initial reconcile: ${fmt(schedulers)} schedulers (s)`, fmt(timings.reconcileMs / 1000, 1), '', '', ''],
    ['thorough resync, nothing changed (s)', fmt(timings.resyncMs / 1000, 1), '', '', ''],
  ];
  const table: Table = {
    title: `Scheduling: ${fmt(options.checks)} TCP checks × ${options.vantages.length} vantages every ${options.intervalMs / 1000} s, ${options.windowRounds} rounds measured`,
    columns: ['metric', 'measured', 'ideal', 'bar', 'verdict'],
    rows,
    notes: [
      `window: rounds due in the ${(options.windowRounds * options.intervalMs) / 1000} s after the initial reconcile finished`,
      `lateness = result.startedAt − result.round; ${fmt(figures.meanPerSecond)} probe starts/s on average, busiest second ${fmt(figures.busiestSecond)}`,
      `recorded ${fmt(figures.recorded)}, duplicates ${fmt(figures.duplicates)}, off-slot rounds ${fmt(figures.misaligned)}; expired by vantage ${JSON.stringify(expired)}`,
      'one ProbeWorker process per vantage (default prober settings); Scheduler and ResultRecorder in the bench process',
    ],
  };
  return { name: 'schedule', tables: [table], data: { options, figures, timings, expired, schedulers } };
}
