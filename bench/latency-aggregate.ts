/**
 * What the notifier's latency sums cost at fleet size, old against new in one run: `checks` checks ×
 * 3 vantages, `rounds` results each, added to the aggregator of an object per entry
 * (BaselineLatencyAggregator below, main's before columns) and to today's LatencyAggregator (typed
 * array columns). Heap and array buffers held after (gc'd), a full GC's pause with them held, add()
 * CPU a result. Then a flush of `flushChecks` checks into a redis-server of the bench's own: the old
 * one (an object an aggregate, every call in one pipeline) against the new (lines built a pipeline at
 * a time, 16 calls each): the notifier's heap peak above what it held, and the flush's time.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  createLogger,
  LATENCY_BUCKET_MS,
  LATENCY_PHASES,
  type LatencyAggregate,
  LatencyMergeError,
  type LatencyPhase,
  LatencyRollups,
  latencyOf,
  type ResultJobData,
} from '@vigil/core';
import { LatencyAggregator, type LatencyAggregatorContext } from '@vigil/notifier';
import { startRedisServer } from './rounds.js';
import { benchRedis } from './support/redis.js';
import { type BenchReport, progress } from './support/report.js';
import { fmt } from './support/stats.js';

export interface LatencyAggregateBenchOptions {
  checks: number;
  /** Results per (check, vantage), a round apart. */
  rounds: number;
  /** Checks of the flush measured (0: none). */
  flushChecks: number;
}

export const LATENCY_AGGREGATE_DEFAULTS: LatencyAggregateBenchOptions = {
  checks: 1_000_000,
  rounds: 1,
  flushChecks: 100_000,
};

const VANTAGES = ['alpha', 'beta', 'gamma'];
const BATCH_CHECKS = 1_000;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Sums {
  checkId: string;
  vantage: string;
  bucket: number;
  samples: number;
  failures: number;
  sums: Record<LatencyPhase, number>;
}

/**
 * The baseline: main's LatencyAggregator (5c4f1b3) before columns, its storage and flush as they
 * were: a Map entry under a fresh key string, a Sums object and a sums record per (check, vantage,
 * bucket), and a flush that builds an aggregate object per entry and merges them all at once.
 */
class BaselineLatencyAggregator {
  private pending = new Map<string, Sums>();

  constructor(private readonly ctx: Pick<LatencyAggregatorContext, 'latencyRollups'>) {}

  add(recorded: readonly ResultJobData[]): void {
    for (const { result } of recorded) {
      const bucket = Math.floor(result.round / LATENCY_BUCKET_MS);
      const id = `${result.checkId}\n${result.vantage}\n${bucket}`;
      let sums = this.pending.get(id);
      if (sums === undefined) {
        sums = {
          checkId: result.checkId,
          vantage: result.vantage,
          bucket,
          samples: 0,
          failures: 0,
          sums: { total: 0, dns: 0, connect: 0, tls: 0, firstByte: 0 },
        };
        this.pending.set(id, sums);
      }
      sums.samples++;
      if (!result.ok) {
        sums.failures++;
        continue;
      }
      const latency = latencyOf(result);
      for (const phase of LATENCY_PHASES) sums.sums[phase] += latency[phase];
    }
  }

  async flush(): Promise<void> {
    const taken = this.pending;
    this.pending = new Map();
    const aggregates: LatencyAggregate[] = [];
    for (const s of taken.values()) {
      const ok = s.samples - s.failures;
      const means = Object.fromEntries(LATENCY_PHASES.map((p) => [p, ok > 0 ? s.sums[p] / ok : 0]));
      aggregates.push({ ...s, means: means as Record<LatencyPhase, number> });
    }
    await this.ctx.latencyRollups.merge(aggregates).catch((err: unknown) => {
      if (!(err instanceof LatencyMergeError)) throw err;
    });
  }
}

/** What the aggregators share: add() and flush(). */
interface Aggregating {
  add(recorded: readonly ResultJobData[]): void;
  flush(): Promise<void>;
}

/**
 * Checks `from`…`from + count` × 3 vantages × `rounds`, handed to `add` a batch of 1,000 checks at a
 * time as a recorder parses them (each result its own id and vantage strings); answers add()'s CPU ms.
 */
function feed(target: Aggregating, range: { from: number; count: number; rounds: number }): number {
  const start = Math.floor(Date.now() / LATENCY_BUCKET_MS) * LATENCY_BUCKET_MS;
  let cpuUs = 0;
  for (let round = 0; round < range.rounds; round++) {
    for (let first = range.from; first < range.from + range.count; first += BATCH_CHECKS) {
      const texts: string[] = [];
      for (let c = first; c < Math.min(first + BATCH_CHECKS, range.from + range.count); c++) {
        for (const vantage of VANTAGES) texts.push(resultJson(`check-${c}`, vantage, start + round * 30_000, c));
      }
      const batch = JSON.parse(`[${texts.join(',')}]`) as ResultJobData[];
      const cpu = process.cpuUsage();
      target.add(batch);
      const used = process.cpuUsage(cpu);
      cpuUs += used.user + used.system;
    }
  }
  return cpuUs / 1000;
}

function resultJson(checkId: string, vantage: string, round: number, c: number): string {
  const ok = c % 50 !== 0;
  const timings = { dns: 2 + (c % 7), connect: 9 + (c % 13), tls: 20 + (c % 17), firstByte: 60 + (c % 89) };
  const result = {
    checkId,
    vantage,
    round,
    startedAt: round + 5,
    finishedAt: round + 120,
    ok,
    timings: { ...timings, total: 100 + (c % 97) },
    ...(!ok && { error: 'connect_refused', message: 'connection refused' }),
  };
  return JSON.stringify({ result, intervalMs: 30_000 });
}

/** Heap and array buffers in use after two full collections, MB. */
function settled(): { heap: number; buffers: number } {
  gc();
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return { heap: heapUsed / 1e6, buffers: arrayBuffers / 1e6 };
}

/** A full collection's pause, ms: the best of three (the first may still free garbage). */
function gcPause(): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    gc();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

interface Held {
  heapMb: number;
  buffersMb: number;
  gcMs: number;
  addCpuMs: number;
}

/** The aggregator being measured: a local no longer read might be collected before its measures. */
let measured: Aggregating | undefined;

/** An aggregator fed every check: what it holds, a GC's pause with it held, add()'s CPU. */
function held(make: () => Aggregating, options: LatencyAggregateBenchOptions): Held {
  const before = settled();
  measured = make();
  const addCpuMs = feed(measured, { from: 0, count: options.checks, rounds: options.rounds });
  const after = settled();
  const gcMs = gcPause();
  measured = undefined;
  return { heapMb: after.heap - before.heap, buffersMb: after.buffers - before.buffers, gcMs, addCpuMs };
}

interface Flushed {
  peakMb: number;
  wallMs: number;
}

/** A flush of `checks` checks: the heap's peak above what was held before it, sampled every 2 ms. */
async function flushed(target: Aggregating, checks: number): Promise<Flushed> {
  feed(target, { from: 0, count: checks, rounds: 1 });
  const base = settled().heap;
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed / 1e6);
  }, 2);
  const started = performance.now();
  await target.flush();
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().heapUsed / 1e6);
  return { peakMb: peak - base, wallMs };
}

export async function latencyAggregateBench(
  options: LatencyAggregateBenchOptions = LATENCY_AGGREGATE_DEFAULTS,
): Promise<BenchReport> {
  const server = await startRedisServer();
  try {
    const bench = await benchRedis(server.url, 'vigil');
    try {
      const log = createLogger({ level: 'silent' });
      const ctx = (latencyRollups: LatencyRollups): LatencyAggregatorContext => ({
        clock: { now: () => Date.now() },
        log,
        latencyRollups,
        redis: bench.redis,
        keys: bench.keys,
      });
      // The old flush sent every call in one pipeline: the same merge with no bound on a pipeline.
      const oneShot = new LatencyRollups(bench, { callsPerPipeline: Number.POSITIVE_INFINITY });
      const paced = new LatencyRollups(bench);
      const makeOld = () => new BaselineLatencyAggregator({ latencyRollups: oneShot });
      const makeNew = () => new LatencyAggregator(ctx(paced));
      progress(`old: adding ${fmt(options.checks * VANTAGES.length * options.rounds)} results`);
      const old = held(makeOld, options);
      progress('new: adding the same');
      const now = held(makeNew, options);
      const flushes =
        options.flushChecks > 0
          ? {
              old: await flushed(makeOld(), options.flushChecks),
              // Each flush makes its rollups (the server is the bench's own): the second must not
              // only update the first's.
              now: await bench.redis.flushall().then(() => flushed(makeNew(), options.flushChecks)),
            }
          : undefined;
      return report(options, { old, now }, flushes);
    } finally {
      await bench.cleanup();
    }
  } finally {
    server.process.kill('SIGTERM');
  }
}

function report(
  options: LatencyAggregateBenchOptions,
  held: { old: Held; now: Held },
  flushes: { old: Flushed; now: Flushed } | undefined,
): BenchReport {
  const entries = options.checks * VANTAGES.length;
  const results = entries * options.rounds;
  const row = (label: string, of: (h: Held) => number, decimals: number): string[] => [
    label,
    fmt(of(held.old), decimals),
    fmt(of(held.now), decimals),
    ratio(of(held.now), of(held.old)),
  ];
  const tables = [
    {
      title: `Latency sums held: ${fmt(options.checks)} checks × ${VANTAGES.length} vantages × ${options.rounds} results, old (an object per entry) and new (columns) in one run`,
      columns: ['measure', 'old', 'new', 'new ÷ old'],
      rows: [
        row('heap held, MB', (h) => h.heapMb, 1),
        // The old held no array buffers: a ratio to nothing says nothing.
        [...row('array buffers held, MB', (h) => h.buffersMb, 1).slice(0, 3), '–'],
        row('bytes an entry (heap + buffers)', (h) => ((h.heapMb + h.buffersMb) * 1e6) / entries, 0),
        row('full GC pause with them held, ms', (h) => h.gcMs, 1),
        row('add() CPU a result, µs', (h) => (h.addCpuMs * 1000) / results, 3),
      ],
      notes: [
        'held = after two forced full GCs (--expose-gc) minus before; an entry = one (check, vantage, hour)',
        'results parsed from JSON a batch of 1,000 checks at a time, each with its own id and vantage strings',
        'new: columns of 58 B an entry, doubled as they fill; after a flush sized to the period before, plus an eighth',
      ],
    },
  ];
  if (flushes) {
    tables.push({
      title: `A flush of ${fmt(options.flushChecks)} checks × ${VANTAGES.length} vantages into a redis-server of the bench's own`,
      columns: ['measure', 'old', 'new', 'new ÷ old'],
      rows: [
        [
          'heap peak above held, MB',
          fmt(flushes.old.peakMb, 1),
          fmt(flushes.now.peakMb, 1),
          ratio(flushes.now.peakMb, flushes.old.peakMb),
        ],
        [
          'flush time, ms',
          fmt(flushes.old.wallMs),
          fmt(flushes.now.wallMs),
          ratio(flushes.now.wallMs, flushes.old.wallMs),
        ],
      ],
      notes: [
        'old: an aggregate object per entry, then every script call (500 checks each) in one pipeline',
        'new: lines read from the columns as sent, 16 calls a pipeline, each answered before the next',
        'peak sampled every 2 ms while the flush runs (garbage included)',
      ],
    });
  }
  return { name: 'latency-aggregate', tables, data: { options, held, flushes } };
}

function ratio(now: number, old: number): string {
  return old > 0 ? `${fmt(now / old, 2)}×` : '–';
}
