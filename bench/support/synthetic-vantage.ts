/**
 * `pnpm bench scale`'s synthetic vantages: one real ProbeWorker per vantage (slot jobs claimed,
 * slot members read, limits, result batches sent, counters flushed as the prober does), in one
 * process, with a probe function that answers from memory: a 200 in 12 ms, no connection. It keeps
 * every probe's start lateness (startedAt − round) in a 1 ms histogram and writes it, with its
 * memory, to the hash `statsKey` every 250 ms. Argument: JSON `{ redisUrl, prefix, vantages,
 * statsKey }`. Prints "ready" once every worker takes jobs; stops on SIGTERM or when stdin closes.
 */
import { createLogger, keyLayoutOf, redisKeys, systemClock, waitForRedis } from '@vigil/core';
import { createProberContext, type ProbeFunction, ProbeWorker } from '@vigil/prober';
import { proberSettings } from './checks.js';
import { benchConnections } from './redis.js';

interface SyntheticArgs {
  redisUrl: string;
  prefix: string;
  vantages: string[];
  statsKey: string;
}

const STATS_EVERY_MS = 250;
/** Latenesses at or above this (ms) share the last bucket. */
const HISTOGRAM_MS = 120_000;

const args = JSON.parse(process.argv[2] ?? '{}') as SyntheticArgs;
const lateness = new Uint32Array(HISTOGRAM_MS + 1);
let answered = 0;

/** What a fast healthy HTTP target would answer; the lateness is the real one. */
const answer: ProbeFunction = async (target, options) => {
  const startedAt = systemClock.now();
  const bucket = Math.min(HISTOGRAM_MS, Math.max(0, startedAt - options.round));
  lateness[bucket] = (lateness[bucket] ?? 0) + 1;
  answered += 1;
  return {
    checkId: target.id,
    vantage: options.vantage,
    round: options.round,
    startedAt,
    finishedAt: startedAt + 12,
    ok: true,
    status: 200,
    remoteAddress: '127.0.0.1',
    timings: { dns: 1, connect: 2, firstByte: 11, total: 12 },
  };
};

const { open, closeAll } = benchConnections(args.redisUrl, 'vigil-bench-synthetic-');
const redis = open('commands', false);
await waitForRedis(redis, args.redisUrl);
const log = createLogger({ level: 'warn', destination: process.stderr, bindings: { role: 'synthetic-vantage' } });
// Fleet-wide metrics only: per-check series are a real prober's choice, not what is measured here.
const settings = proberSettings({ metrics: { perCheck: false, maxChecks: 0 } });
const workers = args.vantages.map(
  (vantage) =>
    new ProbeWorker(
      createProberContext(
        {
          redis: open(`${vantage}-commands`, false),
          connection: open(vantage, true),
          keys: redisKeys(args.prefix, keyLayoutOf(args.redisUrl)),
          clock: systemClock,
          log,
        },
        { vantage: { id: vantage }, config: { allowPrivateTargets: true, allowTargets: [], prober: settings } },
      ),
      { heartbeatEveryMs: 1_000, probe: answer },
    ),
);
await Promise.all(workers.map((worker) => worker.start()));

/** Non-empty buckets only: `{ lateness ms: probes }`. */
function histogram(): Record<number, number> {
  const out: Record<number, number> = {};
  lateness.forEach((count, ms) => {
    if (count > 0) out[ms] = count;
  });
  return out;
}

const reporter = setInterval(() => {
  const { rss, heapUsed } = process.memoryUsage();
  redis
    .hset(args.statsKey, { answered, lateness: JSON.stringify(histogram()), rss, heapUsed, at: Date.now() })
    .catch(() => {});
}, STATS_EVERY_MS);
process.stdout.write('ready\n');

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(reporter);
  await Promise.all(workers.map((worker) => worker.close().catch(() => {})));
  closeAll();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop()).resume();
