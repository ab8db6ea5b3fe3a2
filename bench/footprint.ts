/**
 * What a check costs Redis once its history is full: `checks` checks × 3 vantages on a redis-server
 * of the bench's own, the notifier (in a process of its own, as the role runs it) fed every vantage's
 * result of enough rounds to fill the default history (config `history.perCheck`), then MEMORY USAGE
 * of every key under the prefix, summed by key family (the key with its check id, day, hour and round
 * taken out) and divided by the number of checks.
 */
import { type Check, encodeResultBatch, type ResultJobData, VERDICT_BUCKET_TTL_S, validateConfig } from '@vigil/core';
import { startRedisServer, waitDrained } from './rounds.js';
import { checkSeries, templateCheck } from './support/checks.js';
import { type Child, startChild } from './support/child.js';
import { redisInfo, registerChecks } from './support/fleet-redis.js';
import { type BenchRedis, benchRedis } from './support/redis.js';
import { type BenchReport, progress } from './support/report.js';
import { httpRoundResult } from './support/results.js';
import { measureSlots, type SlotFamily } from './support/slots-footprint.js';
import { fmt } from './support/stats.js';

export interface FootprintBenchOptions {
  checks: number;
  /** Of every 100 checks, how many fail every round (their history entries carry a message). */
  failingPercent: number;
  /** Checks slotted by the scheduler for its keys' share (as `pnpm bench fleet --largest 10000 --rate 1200` slots them). */
  slotChecks: number;
  /** Their interval, seconds (10,000 checks × 3 vantages at 1,200 probes/s: 25 s). */
  slotIntervalS: number;
}

export const FOOTPRINT_DEFAULTS: FootprintBenchOptions = {
  checks: 500,
  failingPercent: 10,
  slotChecks: 10_000,
  slotIntervalS: 25,
};

const VANTAGES = ['alpha', 'beta', 'gamma'];
const INTERVAL_MS = 60_000;
const BATCH = 200;

interface Family {
  family: string;
  keys: number;
  bytes: number;
  /** The longest time to live left among its keys, ms (0: none expire). */
  ttlMs: number;
  /** Bytes a check's key of this family takes once it holds every period it keeps, when it grows so. */
  fullBytes?: number;
}

/** Hashes with a field per period, and how many periods they keep (core's results/uptime.ts). */
const PERIOD_HASHES: Record<string, number> = {
  '{…}:verdicts:days': VERDICT_BUCKET_TTL_S.day / 86_400,
  '{…}:verdicts:hours': VERDICT_BUCKET_TTL_S.hour / 3_600,
};

/** How often a family of per-period keys gains a key: a key a round, a UTC hour, a UTC day. */
const PERIOD_MS: Record<string, number> = { '<round>': INTERVAL_MS, '<hour>': 3_600_000, '<day>': 86_400_000 };

/**
 * Keys per check once the family no longer grows: one per period, each living its TTL, so TTL ÷
 * period (a round's keys expire a few intervals on; a day bucket of the per-vantage counts before the ring 2 days). Null for a
 * family of one key per check.
 */
function steadyKeys(family: Family): number | null {
  const period = Object.entries(PERIOD_MS).find(([marker]) => family.family.includes(marker))?.[1];
  if (period === undefined || family.ttlMs === 0) return null;
  return Math.ceil(family.ttlMs / period);
}

export async function footprintBench(options: FootprintBenchOptions = FOOTPRINT_DEFAULTS): Promise<BenchReport> {
  const historySize = validateConfig({ vantages: VANTAGES }, 'bench').history.perCheck;
  const rounds = Math.ceil(historySize / VANTAGES.length);
  const server = await startRedisServer();
  try {
    // Key names count in MEMORY USAGE: the default prefix, as a deployment has it.
    const bench = await benchRedis(server.url, 'vigil');
    try {
      const before = await redisInfo(bench.redis);
      await fill(bench, server.url, options, rounds);
      const after = await redisInfo(bench.redis);
      const families = await measureFamilies(bench);
      await measureFullPeriods(bench, families, 'check-0');
      const slots = await measureSlots(bench, {
        checks: options.slotChecks,
        intervalS: options.slotIntervalS,
        vantages: VANTAGES,
      });
      return report(options, {
        historySize,
        rounds,
        families,
        slots,
        usedMemory: after.usedMemory - before.usedMemory,
      });
    } finally {
      await bench.cleanup();
    }
  } finally {
    server.process.kill('SIGTERM');
  }
}

interface Measured {
  historySize: number;
  rounds: number;
  families: Family[];
  /** The scheduler's keys for `slotChecks` checks. */
  slots: { families: SlotFamily[]; slots: number };
  /** Growth of INFO used_memory while filling. */
  usedMemory: number;
}

function report(options: FootprintBenchOptions, measured: Measured): BenchReport {
  const { historySize, rounds, families, slots, usedMemory } = measured;
  const slotTotal = slots.families.reduce((sum, f) => sum + f.bytes, 0);
  const perCheck = families.filter((f) => f.family.includes('{…}'));
  const total = perCheck.reduce((sum, f) => sum + f.bytes, 0);
  const steady = (f: Family) => {
    if (f.fullBytes !== undefined) return f.fullBytes;
    const keys = steadyKeys(f);
    return keys === null ? f.bytes / options.checks : (keys * f.bytes) / f.keys;
  };
  const steadyTotal = perCheck.reduce((sum, f) => sum + steady(f), 0);
  const row = (f: Family) => [
    f.family,
    fmt(f.keys / options.checks, 2),
    fmt(f.bytes / options.checks),
    fmt(steadyKeys(f) ?? f.keys / options.checks, 2),
    fmt(steady(f)),
  ];
  return {
    name: 'footprint',
    tables: [
      {
        title: `Redis per check: ${fmt(options.checks)} checks × ${VANTAGES.length} vantages × ${rounds} rounds (history ${historySize} per check, full), ${options.failingPercent}% failing`,
        columns: ['key family', 'keys/check', 'bytes/check', 'steady keys/check', 'steady bytes/check'],
        rows: [
          ...perCheck.map(row),
          ['per-check keys, total', '', fmt(total / options.checks), '', fmt(steadyTotal)],
          ...families.filter((f) => !f.family.includes('{…}') && f.bytes / options.checks >= 1).map(row),
          ['used_memory growth ÷ checks', '', fmt(usedMemory / options.checks), '', ''],
        ],
        notes: [
          'bytes: MEMORY USAGE <key> SAMPLES 0 of every key under the prefix, summed by family, ÷ checks',
          'the registry (checks hash), queues and other shared keys are listed below the per-check total',
          `the notifier as the role runs it (bench/support/notifier-process.ts); rounds ${INTERVAL_MS / 1000} s apart, all fed within moments`,
          'steady: keys made one per round / hour / day counted as their TTL ÷ period (round books expire a few intervals on unless applied first) at the bytes per key measured',
          'verdicts:day-ring / :hour-ring (since the rings) are made at their full size: what they hold is their steady size',
          `steady for verdicts:days / :hours (a field per period, before the rings): a copy of check-0’s hash filled to the ${PERIOD_HASHES['{…}:verdicts:days']} days / ${PERIOD_HASHES['{…}:verdicts:hours']} hours it keeps, measured`,
          '{…}:latency (latency rollups): full size from its first merge (24 hour + 24 six-hour slots per vantage), merged here when the notifier stops',
          'vantage:<v>:seen:<bucket> (HLLs of the checks a vantage reported, a bucket a half window; the vantage:<v>:seen zset before): expire 1.5 windows after their bucket starts, so only the last rounds’ are left here; a live fleet keeps ~4 a vantage, ≤ 12 KB each whatever its size',
        ],
      },
      {
        title: `The scheduler's keys per check: ${fmt(options.slotChecks)} checks × ${VANTAGES.length} vantages every ${options.slotIntervalS} s in ${fmt(slots.slots)} slot schedulers`,
        columns: ['key family', 'keys/check', 'bytes/check'],
        rows: [
          ...slots.families.map((f) => [
            f.family,
            fmt(f.keys / options.slotChecks, 3),
            fmt(f.bytes / options.slotChecks),
          ]),
          ['scheduler keys, total', '', fmt(slotTotal / options.slotChecks)],
        ],
        notes: [
          'the scheduler’s SchedulerSync applying desiredSchedulers() of the checks, then MEMORY USAGE of every probe.<vantage> key and scheduler:applied',
        ],
      },
    ],
    data: { options, historySize, rounds, families, slots, usedMemory },
  };
}

async function fill(bench: BenchRedis, url: string, options: FootprintBenchOptions, rounds: number): Promise<void> {
  const template = templateCheck({ http: { url: 'https://api.example.com/health' }, interval: '60s', timeout: '10s' });
  const checks = checkSeries(template, 'check', options.checks);
  await registerChecks(bench, checks, 500);
  let notifier: Child | undefined;
  try {
    notifier = await startChild('./notifier-process.ts', [
      JSON.stringify({
        redisUrl: url,
        prefix: bench.prefix,
        config: { vantages: VANTAGES, allowPrivateTargets: true },
        smtpUrl: 'smtp://127.0.0.1:9',
        secret: 'bench-footprint-secret-0123456789',
        memoryKey: `${bench.prefix}:bench-memory`,
      }),
    ]);
    if (notifier.first !== 'ready') throw new Error(`the notifier said ${notifier.first}`);
    // Rounds end moments ago, so every round is in the past and within the buckets' TTLs.
    const first = Date.now() - rounds * INTERVAL_MS;
    for (let k = 0; k < rounds; k++) {
      const results = roundResults(checks, first + k * INTERVAL_MS, options);
      // On one redis-server: one result stream, a batch an entry, as a prober adds it.
      const pipeline = bench.redis.pipeline();
      for (let j = 0; j < results.length; j += BATCH)
        pipeline.xadd(bench.keys.resultStream(0), '*', ...encodeResultBatch(results.slice(j, j + BATCH)));
      await pipeline.exec();
      if (k % 20 === 19) {
        await waitDrained(bench);
        progress(`${k + 1}/${rounds} rounds recorded`);
      }
    }
    await waitDrained(bench);
  } finally {
    await notifier?.stop();
  }
}

function roundResults(checks: readonly Check[], round: number, options: FootprintBenchOptions): ResultJobData[] {
  const out: ResultJobData[] = [];
  checks.forEach((check, i) => {
    const ok = i % 100 >= options.failingPercent;
    for (const vantage of VANTAGES) {
      const result = httpRoundResult(check.id, vantage, round, ok);
      out.push({ result, intervalMs: INTERVAL_MS });
    }
  });
  return out;
}

/**
 * A period hash filled to every period it keeps: the sample check's hash copied to a scratch key with
 * its newest field repeated into the periods before it (the bench feeds ~3 hours, not 91 days).
 */
async function measureFullPeriods(bench: BenchRedis, families: Family[], sampleId: string): Promise<void> {
  for (const family of families) {
    const periods = PERIOD_HASHES[family.family];
    if (periods === undefined) continue;
    const source = `${bench.prefix}:${family.family.replace('{…}', `{${sampleId}}`)}`;
    const fields = await bench.redis.hgetall(source);
    const newest = Math.max(...Object.keys(fields).map(Number));
    const value = fields[String(newest)] ?? '0';
    const key = `${source.slice(0, -1)}~`; // a scratch key, its name as long as the source's
    await bench.redis.hset(key, Object.fromEntries(Array.from({ length: periods }, (_, i) => [newest - i, value])));
    family.fullBytes = Number(await bench.redis.memory('USAGE', key, 'SAMPLES', 0));
    await bench.redis.del(key);
  }
}

/** MEMORY USAGE of every key under the prefix, by family. */
async function measureFamilies(bench: BenchRedis): Promise<Family[]> {
  const families = new Map<string, Family>();
  let cursor = '0';
  do {
    const [next, keys] = await bench.redis.scan(cursor, 'MATCH', `${bench.prefix}:*`, 'COUNT', 2_000);
    cursor = next;
    const pipeline = bench.redis.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', 0).pttl(key);
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const family = familyOf(key.slice(bench.prefix.length + 1));
      const entry = families.get(family) ?? { family, keys: 0, bytes: 0, ttlMs: 0 };
      entry.keys++;
      entry.bytes += Number(replies[2 * i]?.[1] ?? 0);
      entry.ttlMs = Math.max(entry.ttlMs, Number(replies[2 * i + 1]?.[1] ?? 0));
      families.set(family, entry);
    });
  } while (cursor !== '0');
  return [...families.values()].sort((a, b) => b.bytes - a.bytes);
}

function familyOf(key: string): string {
  return key
    .replace(/\{[^}]*\}/, '{…}')
    .replace(/\d{4}-\d{2}-\d{2}(T\d{2})?/, (match) => (match.includes('T') ? '<hour>' : '<day>'))
    .replace(/:round:\d+/, ':round:<round>')
    .replace(/^(vantage:[^:]+:seen):\d+$/, '$1:<bucket>')
    .replace(/^incident:\d+/, 'incident:<id>')
    .replace(/^incident-group:.*/, 'incident-group:<group>')
    .replace(/^bull:([^:]+):\d+$/, 'bull:$1:<job>');
}
