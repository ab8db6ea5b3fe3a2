/**
 * The notifier's cost per result, alone: a Redis of its own (a `redis-server` on a loopback port, so
 * its CPU and command counts are the notifier's only), the notifier role in a process of its own,
 * and the result streams filled while held back with every vantage's result of `rounds` rounds of
 * `checks` checks, in batches of each size measured. Then they are let go and drained: the
 * notifier's CPU (from /proc), Redis's CPU and the commands Redis ran, per result.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Check,
  DEFAULT_CLUSTER_SHARDS,
  encodeResultBatch,
  groupByShard,
  RESULT_STREAM_GROUP,
  type ResultJobData,
  resultBacklog,
  waitForRedis,
} from '@vigil/core';
import { freePort, sampleResult, startRedisCluster } from '@vigil/core/testing';
import { Redis } from 'ioredis';
import { checkSeries, templateCheck } from './support/checks.js';
import { type Child, startChild } from './support/child.js';
import { registerChecks } from './support/fleet-redis.js';
import { sampleProc } from './support/proc-stats.js';
import { type BenchRedis, benchRedis } from './support/redis.js';
import { type BenchReport, progress } from './support/report.js';
import { fmt } from './support/stats.js';

export interface RoundsBenchOptions {
  checks: number;
  /** Rounds of every check fed per batch size. */
  rounds: number;
  /** Batch sizes measured: 1, 10, 50 and 200 (the prober's largest) from `smallest` to `largest`. */
  smallest: number;
  largest: number;
  /** Of every 100 checks, how many fail every round (so states change and incidents open). */
  failingPercent: number;
  /** 0: one redis-server only; N ≥ 2: then the same on an N-master Redis Cluster, in the same run. */
  masters: number;
  /** Shards of per-check keys on the cluster (`redis+cluster://…?shards=N`). */
  shards: number;
  /**
   * How often the notifier merges its latency sums into the rollups: every second, so its merges
   * fall within the drain and count (a deployment merges every 5 min: ~10 rounds of a 30 s check a merge,
   * not ~1.5 as here, so its merges cost less per result).
   */
  latencyFlushMs: number;
}

export const ROUNDS_DEFAULTS: RoundsBenchOptions = {
  checks: 1_000,
  rounds: 4,
  smallest: 1,
  largest: 200,
  failingPercent: 0,
  masters: 0,
  shards: DEFAULT_CLUSTER_SHARDS,
  latencyFlushMs: 1_000,
};

const BATCHES = [1, 10, 50, 200];
const VANTAGES = ['alpha', 'beta', 'gamma'];
const INTERVAL_MS = 30_000;
const SECRET = 'bench-rounds-secret-0123456789';
const DRAIN_TIMEOUT_MS = 10 * 60_000;

interface BatchFigures {
  batch: number;
  results: number;
  drainMs: number;
  notifierCpuMs: number;
  redisCpuMs: number;
  /** Redis CPU on each master (one on one server): the busiest bounds what the Redis side carries. */
  redisCpuMsByNode: number[];
  redisCommands: number;
  /** Jobs the notifier took: one per batch. */
  jobs: number;
  /** Checks down once drained, and transitions still in the outbox (not yet taken to incidents). */
  down: number;
  outbox: number;
}

export async function roundsBench(options: RoundsBenchOptions = ROUNDS_DEFAULTS): Promise<BenchReport> {
  const batches = BATCHES.filter((size) => size >= options.smallest && size <= options.largest);
  const server = await startRedisServer();
  const figures: BatchFigures[] = [];
  const clustered: BatchFigures[] = [];
  try {
    const node = new Redis(server.url, { maxRetriesPerRequest: null });
    await waitForRedis(node, server.url);
    try {
      for (const batch of batches) figures.push(await measureBatch(server.url, [node], batch, options));
    } finally {
      node.disconnect();
    }
  } finally {
    server.process.kill('SIGTERM');
  }
  if (options.masters >= 2) {
    const cluster = await startRedisCluster({ size: options.masters });
    try {
      const url = `${cluster.url}?shards=${options.shards}`;
      for (const batch of batches) clustered.push(await measureBatch(url, cluster.masters, batch, options));
    } finally {
      await cluster.stop();
    }
  }
  const perResult = (f: BatchFigures, value: number) => fmt((value * 1000) / f.results, 1);
  return {
    name: 'rounds',
    tables: [
      {
        title: `Notifier alone: ${fmt(options.checks)} checks × ${VANTAGES.length} vantages × ${options.rounds} rounds fed through the result stream(s), by batch size`,
        columns: [
          'batch',
          'results',
          'drain s',
          'results/s',
          'notifier CPU µs/result',
          'Redis CPU µs/result',
          'Redis commands/result',
          'Redis commands/batch',
          'checks down',
          'outbox left',
        ],
        rows: figures.map((f) => [
          fmt(f.batch),
          fmt(f.results),
          fmt(f.drainMs / 1000, 1),
          fmt((f.results * 1000) / f.drainMs),
          perResult(f, f.notifierCpuMs),
          perResult(f, f.redisCpuMs),
          fmt(f.redisCommands / f.results, 2),
          fmt(f.redisCommands / f.jobs, 1),
          fmt(f.down),
          fmt(f.outbox),
        ]),
        notes: [
          'the notifier: `Notifier` from @vigil/notifier in a process of its own (bench/support/notifier-process.ts), as the role runs it',
          'Redis: a redis-server of its own on a loopback port (nothing else on it); CPU = used_cpu_user + used_cpu_sys, commands = INFO commandstats calls (BullMQ’s included)',
          `every result up except ${options.failingPercent}% of the checks, failing every round; each round's three results sit together in the stream`,
          'checks down: check states `down` once drained (2 confirmations); outbox left: transitions not yet taken to incidents then',
          `latency rollups merged every ${options.latencyFlushMs / 1000} s (--latencyFlushMs), so their merges are in the figures`,
        ],
      },
      ...(clustered.length > 0 ? [clusterTable(figures, clustered, options)] : []),
    ],
    data: { options, figures, clustered },
  };
}

/** One server against the cluster, batch by batch: where the Redis CPU goes, and what the busiest master bounds. */
function clusterTable(
  single: readonly BatchFigures[],
  clustered: readonly BatchFigures[],
  options: RoundsBenchOptions,
) {
  const perResult = (f: BatchFigures, value: number) => fmt((value * 1000) / f.results, 1);
  return {
    title: `The same on a ${options.masters}-master Redis Cluster (${options.shards} shards), against one redis-server measured in the same run`,
    columns: [
      'batch',
      'Redis CPU µs/result, 1 server',
      'Redis CPU µs/result, cluster (all masters)',
      'busiest master µs/result',
      'each master µs/result',
      'Redis-bound capacity vs 1 server',
      'results/s, 1 server',
      'results/s, cluster',
    ],
    rows: clustered.map((c) => {
      const s = single.find((f) => f.batch === c.batch) ?? c;
      const busiest = Math.max(...c.redisCpuMsByNode);
      return [
        fmt(c.batch),
        perResult(s, s.redisCpuMs),
        perResult(c, c.redisCpuMs),
        perResult(c, busiest),
        c.redisCpuMsByNode.map((ms) => perResult(c, ms)).join(' / '),
        `${fmt(s.redisCpuMs / s.results / (busiest / c.results) || 0, 2)}×`,
        fmt((s.results * 1000) / s.drainMs),
        fmt((c.results * 1000) / c.drainMs),
      ];
    }),
    notes: [
      'capacity: a Redis runs commands on one core, so the Redis side saturates when its busiest master does; the ratio is one server’s CPU per result over the cluster’s busiest master’s',
      'results/s is the one notifier process on this shared 2-core machine, not Redis: it does not grow with masters here',
    ],
  };
}

async function measureBatch(
  url: string,
  nodes: readonly Redis[],
  batch: number,
  options: RoundsBenchOptions,
): Promise<BatchFigures> {
  const bench = await benchRedis(url);
  const template = templateCheck({ http: { url: 'http://127.0.0.1:9/' }, interval: '30s', timeout: '10s' });
  const checks = checkSeries(template, 'check', options.checks);
  let notifier: Child | undefined;
  try {
    await registerChecks(bench, checks, 500);
    notifier = await startChild('./notifier-process.ts', [
      JSON.stringify({
        redisUrl: url,
        prefix: bench.prefix,
        config: { vantages: VANTAGES, allowPrivateTargets: true },
        smtpUrl: 'smtp://127.0.0.1:9',
        secret: SECRET,
        memoryKey: `${bench.prefix}:bench-memory`,
        notifier: { latencyFlushMs: options.latencyFlushMs },
      }),
    ]);
    if (notifier.first !== 'ready') throw new Error(`the notifier said ${notifier.first}`);
    const pid = notifier.pid;
    if (pid === undefined) throw new Error('the notifier has no pid');
    const results = feed(checks, options);
    const jobs = await holdBack(bench, results, batch);
    progress(`batch ${batch}: ${fmt(results.length)} results in ${fmt(jobs)} stream entries held back`);
    await sleep(1_000);
    const before = { proc: await sampleProc(pid), redis: await redisCounters(nodes) };
    const started = Date.now();
    await letGo(bench);
    await waitDrained(bench);
    const drainMs = Date.now() - started;
    const after = { proc: await sampleProc(pid), redis: await redisCounters(nodes) };
    const states = bench.redis.pipeline();
    for (const check of checks) states.hget(bench.keys.checkState(check.id), 'state');
    const down = ((await states.exec()) ?? []).filter(([, state]) => state === 'down').length;
    return {
      batch,
      results: results.length,
      drainMs,
      notifierCpuMs: after.proc.cpuMs - before.proc.cpuMs,
      redisCpuMs: sum(after.redis.cpuMs) - sum(before.redis.cpuMs),
      redisCpuMsByNode: after.redis.cpuMs.map((ms, i) => ms - (before.redis.cpuMs[i] ?? 0)),
      // The two INFO calls per node of the sample itself are not the notifier's.
      redisCommands: after.redis.commands - before.redis.commands - 2 * nodes.length,
      jobs,
      down,
      outbox: await outboxSize(bench),
    };
  } finally {
    await notifier?.stop();
    await bench.cleanup();
  }
}

/**
 * Every vantage's result of each round, round by round; a round's three results side by side. The
 * first round is moments ago (later ones ahead), so no check looks blind while the queue drains.
 */
function feed(checks: readonly Check[], options: RoundsBenchOptions): ResultJobData[] {
  const first = Date.now() - 5_000;
  const out: ResultJobData[] = [];
  for (let k = 0; k < options.rounds; k++) {
    const round = first + k * INTERVAL_MS;
    checks.forEach((check, i) => {
      const ok = i % 100 >= options.failingPercent;
      for (const vantage of VANTAGES) {
        const result = sampleResult({
          checkId: check.id,
          vantage,
          round,
          startedAt: round + 5,
          finishedAt: round + 30,
          ok,
          ...(!ok && { error: 'connect_refused' as const, message: 'connection refused' }),
        });
        out.push({ result, intervalMs: INTERVAL_MS });
      }
    });
  }
  return out;
}

/** Where a shard's batches wait before `letGo`: a key in the stream's slot that no notifier reads. */
const heldKey = (bench: BenchRedis, shard: number) => `${bench.keys.resultStream(shard)}-held`;

/**
 * Adds the results as a prober would (one entry per shard a batch's checks fall in) to streams the
 * notifier does not read, with the notifiers' group at their start; answers the entries added.
 */
export async function holdBack(bench: BenchRedis, results: readonly ResultJobData[], batch: number): Promise<number> {
  for (let shard = 0; shard < bench.keys.shards; shard++)
    await bench.redis.xgroup('CREATE', heldKey(bench, shard), RESULT_STREAM_GROUP, '0', 'MKSTREAM');
  let entries = 0;
  for (let i = 0; i < results.length; i += batch * 500) {
    const pipeline = bench.redis.pipeline();
    for (let j = i; j < Math.min(results.length, i + batch * 500); j += batch) {
      for (const { shard, items } of groupByShard(bench.keys, results.slice(j, j + batch), (r) => r.result.checkId)) {
        pipeline.xadd(heldKey(bench, shard), '*', ...encodeResultBatch(items));
        entries++;
      }
    }
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  }
  return entries;
}

/** Puts the held streams, group and all, where the notifier reads (RENAME, which wakes its blocked read). */
export async function letGo(bench: BenchRedis): Promise<void> {
  for (let shard = 0; shard < bench.keys.shards; shard++)
    await bench.redis.rename(heldKey(bench, shard), bench.keys.resultStream(shard));
}

export async function waitDrained(bench: BenchRedis): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const backlog = await resultBacklog(bench.redis, bench.keys);
    if (backlog.waiting + backlog.pending === 0) return;
    if (Date.now() > deadline) throw new Error(`results not drained in time: ${JSON.stringify(backlog)}`);
    await sleep(50);
  }
}

async function redisCounters(nodes: readonly Redis[]): Promise<{ cpuMs: number[]; commands: number }> {
  const cpuMs: number[] = [];
  let commands = 0;
  for (const node of nodes) {
    const cpu = await node.info('cpu');
    const stats = await node.info('commandstats');
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? Number.NaN);
    commands += [...stats.matchAll(/calls=(\d+)/g)].reduce((total, m) => total + Number(m[1]), 0);
    cpuMs.push((field('used_cpu_user') + field('used_cpu_sys')) * 1000);
  }
  return { cpuMs, commands };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** A redis-server of the bench's own on a free loopback port, saving nothing on its own; `extra` arguments after the defaults (`--dir`). */
export async function startRedisServer(extra: readonly string[] = []): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
      ...extra,
    ],
    { stdio: 'ignore' },
  );
  return { url: `redis://127.0.0.1:${port}`, process: child };
}

/** Transitions left in the outbox, over every shard's. */
async function outboxSize(bench: BenchRedis): Promise<number> {
  let size = 0;
  for (let shard = 0; shard < bench.keys.shards; shard++) size += await bench.redis.hlen(bench.keys.transitions(shard));
  return size;
}
