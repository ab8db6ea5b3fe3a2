/**
 * What the slot jobs alone cost Redis: `checks` HTTP checks × 3 vantages every `interval` s, their slot
 * job schedulers written once by `SchedulerSync` (no scheduler process, no notifier: the schedulers fire
 * on their own), taken by `probers` synthetic ProbeWorkers per vantage (bench/support/synthetic-vantage.ts:
 * real workers, probes answered from memory). Over the window: Redis CPU per probe and per slot job,
 * split by command (INFO commandstats; BullMQ's scripts are the window's only EVALSHA), start lateness.
 * A private redis-server, so its CPU is the slot path's alone (plus the result XADDs nobody reads).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, probeQueueName } from '@vigil/core';
import { desiredSchedulers, SchedulerSync, SLOT_CHUNK_SIZE } from '@vigil/scheduler';
import { startRedisServer } from './rounds.js';
import { checkSeries, templateCheck } from './support/checks.js';
import { type Child, startChild } from './support/child.js';
import { redisInfo } from './support/fleet-redis.js';
import { benchRedis } from './support/redis.js';
import { type BenchReport, progress } from './support/report.js';
import { fmt } from './support/stats.js';
import type { Table } from './support/table.js';

export interface SlotJobsBenchOptions {
  checks: number;
  /** Every check's interval, in seconds. */
  interval: number;
  /** ProbeWorkers per vantage (one process for all of them). */
  probers: number;
  warmup: number;
  seconds: number;
}

export const SLOT_JOBS_DEFAULTS: SlotJobsBenchOptions = {
  checks: 20_000,
  interval: 30,
  probers: 2,
  warmup: 20,
  seconds: 40,
};

const VANTAGES = ['alpha', 'beta', 'gamma'];

type Stats = Map<string, { calls: number; usec: number }>;

async function commandStats(redis: { info(section: string): Promise<string> }): Promise<Stats> {
  const out: Stats = new Map();
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm))
    out.set(m[1] as string, { calls: Number(m[2]), usec: Number(m[3]) });
  return out;
}

function percentiles(start: Record<string, number>, end: Record<string, number>, ps: readonly number[]): number[] {
  const counts = Object.entries(end)
    .map(([ms, n]) => [Number(ms), n - (start[ms] ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  return ps.map((p) => {
    let seen = 0;
    for (const [ms, n] of counts) {
      seen += n;
      if (seen >= (p / 100) * total) return ms;
    }
    return Number.NaN;
  });
}

export async function slotJobsBench(options: SlotJobsBenchOptions = SLOT_JOBS_DEFAULTS): Promise<BenchReport> {
  const server = await startRedisServer();
  const bench = await benchRedis(server.url, 'vigil');
  let vantage: Child | undefined;
  try {
    const checks = checkSeries(
      templateCheck({ http: { url: 'http://127.0.0.1:9/' }, interval: `${options.interval}s`, timeout: '10s' }),
      'check',
      options.checks,
    );
    const desired = desiredSchedulers(checks, VANTAGES);
    const log = createLogger({ level: 'warn', destination: process.stderr });
    const sync = new SchedulerSync({ redis: bench.redis, connection: bench.connection('sync'), keys: bench.keys, log });
    await sync.apply(desired, VANTAGES, false);
    await sync.close();
    const statsKey = 'bench:slot-jobs:stats';
    const workers = VANTAGES.flatMap((id) => Array.from({ length: options.probers }, () => id));
    vantage = await startChild('./synthetic-vantage.ts', [
      JSON.stringify({ redisUrl: server.url, prefix: bench.prefix, vantages: workers, statsKey }),
    ]);
    progress(
      `${fmt(desired.size)} slot job schedulers (chunks of ≤ ${SLOT_CHUNK_SIZE}); ${options.probers} ProbeWorker(s) a vantage; warming up ${options.warmup} s`,
    );
    await sleep(options.warmup * 1000);
    const sample = async () => ({
      at: Date.now(),
      info: await redisInfo(bench.redis),
      commands: await commandStats(bench.redis),
      stats: await bench.redis.hgetall(statsKey),
    });
    const start = await sample();
    progress(`measuring ${options.seconds} s`);
    await sleep(options.seconds * 1000);
    const end = await sample();
    const probes = Number(end.stats.answered ?? 0) - Number(start.stats.answered ?? 0);
    const calls = (name: string) => (end.commands.get(name)?.calls ?? 0) - (start.commands.get(name)?.calls ?? 0);
    const usec = (name: string) => (end.commands.get(name)?.usec ?? 0) - (start.commands.get(name)?.usec ?? 0);
    // Each slot job is one RPOPLPUSH into active that returns a job, one `moveToFinished`: LREM from active.
    const jobs = calls('lrem');
    const redisUs = (end.info.cpuMs - start.info.cpuMs) * 1000;
    const [p50, p99, max] = percentiles(
      JSON.parse(start.stats.lateness ?? '{}') as Record<string, number>,
      JSON.parse(end.stats.lateness ?? '{}') as Record<string, number>,
      [50, 99, 100],
    );
    const seconds = (end.at - start.at) / 1000;
    const summary: Table = {
      title: `Slot jobs: ${fmt(options.checks)} HTTP checks × 3 vantages every ${options.interval} s, ${options.probers} synthetic ProbeWorker(s) a vantage, no notifier; ${options.seconds} s window`,
      columns: ['metric', 'value'],
      rows: [
        ['probes answered/s', fmt(probes / seconds)],
        ['slot jobs finished/s (LREM from active)', fmt(jobs / seconds, 1)],
        ['probes per slot job', fmt(probes / Math.max(1, jobs), 1)],
        ['Redis CPU per probe, µs', fmt(redisUs / probes, 2)],
        ['  EVALSHA (BullMQ scripts) per probe, µs', fmt(usec('evalsha') / probes, 2)],
        ['  BZPOPMIN per probe, µs', fmt(usec('bzpopmin') / probes, 2)],
        ['Redis CPU per slot job, µs', fmt(redisUs / Math.max(1, jobs))],
        ['  EVALSHA calls per slot job', fmt(calls('evalsha') / Math.max(1, jobs), 1)],
        ['  EVALSHA µs per slot job', fmt(usec('evalsha') / Math.max(1, jobs))],
        ['start lateness p50 / p99 / max, ms', `${fmt(p50)} / ${fmt(p99)} / ${fmt(max)}`],
      ],
      notes: [
        'Redis CPU: INFO used_cpu_user + used_cpu_sys over the window; per command: INFO commandstats (a command a script runs counts again inside evalsha)',
      ],
    };
    const names = [...end.commands.keys()].filter((name) => calls(name) > 0);
    names.sort((a, b) => usec(b) - usec(a));
    const byCommand: Table = {
      title: 'Redis time by command over the window, per slot job',
      columns: ['command', 'calls/job', 'µs/job', 'µs/call'],
      rows: names.map((name) => [
        name,
        fmt(calls(name) / Math.max(1, jobs), 2),
        fmt(usec(name) / Math.max(1, jobs), 1),
        fmt(usec(name) / calls(name), 1),
      ]),
    };
    const queue = probeQueueName(VANTAGES[0] as string);
    const eventsKey = `${bench.keys.queuePrefix(queue)}:${queue}:events`;
    const events = await bench.redis.xlen(eventsKey);
    const eventsBytes = Number(await bench.redis.memory('USAGE', eventsKey));
    const memory: Table = {
      title: 'Redis memory',
      columns: ['what', 'value'],
      rows: [
        ['used_memory, MB', fmt(end.info.usedMemory / 1e6, 1)],
        [`${queue} events stream: entries / KB`, `${fmt(events)} / ${fmt(eventsBytes / 1024)}`],
      ],
    };
    return {
      name: 'slot-jobs',
      tables: [summary, byCommand, memory],
      data: { options, probes, jobs, redisUs, seconds, lateness: { p50, p99, max } },
    };
  } finally {
    await vantage?.stop();
    bench.disconnect();
    server.process.kill();
  }
}
