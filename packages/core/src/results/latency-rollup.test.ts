import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../runtime/keys.js';
import { startRedisCluster, testContext, testRedis } from '../testing/index.js';
import { LatencyRollups } from './latency-merge.js';
import {
  decodeLatency,
  encodeLatency,
  LATENCY_BUCKET_MS,
  LATENCY_TIERS,
  type LatencyAggregate,
  readLatencyRollup,
} from './latency-rollup.js';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const BUCKET = Math.floor(NOW / LATENCY_BUCKET_MS);
const DAY = 86_400_000;

function aggregate(overrides: Partial<LatencyAggregate> = {}): LatencyAggregate {
  return {
    checkId: 'api',
    vantage: 'alpha',
    bucket: BUCKET,
    samples: 10,
    failures: 0,
    means: { total: 120, dns: 4, connect: 10, tls: 30, firstByte: 70 },
    ...overrides,
  };
}

describe('latency codes', () => {
  it('keep every latency from 0.1 ms to 60 s within 2.7 % and saturate past them', () => {
    for (let ms = 0.1; ms <= 60_000; ms *= 1.013) {
      expect(Math.abs(decodeLatency(encodeLatency(ms)) - ms) / ms).toBeLessThan(0.027);
    }
    expect(encodeLatency(0)).toBe(0);
    expect(decodeLatency(0)).toBe(0);
    expect(encodeLatency(10 * 60_000)).toBe(255);
    expect(encodeLatency(Number.NaN)).toBe(0);
  });
});

describe('latency rollups on Redis', () => {
  let t: Awaited<ReturnType<typeof testRedis>>;
  let rollups: LatencyRollups;
  let ctx: { redis: typeof t.redis; keys: ReturnType<typeof redisKeys> };
  beforeEach(async () => {
    t = await testRedis('rollup');
    ctx = { redis: t.redis, keys: redisKeys(t.prefix) };
    rollups = new LatencyRollups(ctx);
  });
  afterEach(() => t.cleanup());

  const day = (checkId = 'api') => readLatencyRollup(ctx, checkId, { tier: 'day', from: NOW - DAY, to: NOW });
  const week = (checkId = 'api') => readLatencyRollup(ctx, checkId, { tier: 'week', from: NOW - 7 * DAY, to: NOW });

  it('reads back what was merged, per vantage and phase, in both tiers', async () => {
    await rollups.merge([
      aggregate(),
      aggregate({
        vantage: 'beta',
        samples: 4,
        failures: 1,
        means: { total: 900, dns: 0, connect: 0, tls: 0, firstByte: 0 },
      }),
    ]);
    const read = await day();
    expect(read.vantages.map((v) => v.vantage)).toEqual(['alpha', 'beta']);
    const [alpha] = read.vantages[0]?.buckets ?? [];
    expect(alpha).toMatchObject({ start: BUCKET * LATENCY_BUCKET_MS, samples: 10, failures: 0 });
    expect(alpha?.means.total).toBeCloseTo(120, -1);
    expect(alpha?.means.tls).toBeCloseTo(30, 0);
    const [beta] = read.vantages[1]?.buckets ?? [];
    expect(beta).toMatchObject({ samples: 4, failures: 1, means: { dns: null, connect: null, tls: null } });
    expect(beta?.means.total).toBeCloseTo(900, -2);
    const [weekly] = (await week()).vantages[0]?.buckets ?? [];
    expect(weekly?.start).toBe(Math.floor(NOW / LATENCY_TIERS.week.bucketMs) * LATENCY_TIERS.week.bucketMs);
    expect(weekly?.samples).toBe(10);
  });

  it('merges two notifiers’ parts of a bucket: counts add, means weighted by successes', async () => {
    const first = new LatencyRollups(ctx);
    const second = new LatencyRollups({ redis: t.redis.duplicate(), keys: ctx.keys });
    try {
      await first.merge([
        aggregate({ samples: 30, failures: 0, means: { total: 100, dns: 2, connect: 8, tls: 20, firstByte: 50 } }),
      ]);
      await second.merge([
        aggregate({ samples: 12, failures: 2, means: { total: 400, dns: 2, connect: 8, tls: 20, firstByte: 300 } }),
      ]);
    } finally {
      (second as unknown as { ctx: { redis: typeof t.redis } }).ctx.redis.disconnect();
    }
    const [bucket] = (await day()).vantages[0]?.buckets ?? [];
    expect(bucket).toMatchObject({ samples: 42, failures: 2 });
    // (30 × 100 + 10 × 400) ÷ 40 = 175; (30 × 50 + 10 × 300) ÷ 40 = 112.5
    expect(Math.abs((bucket?.means.total ?? 0) - 175) / 175).toBeLessThan(0.03);
    expect(Math.abs((bucket?.means.firstByte ?? 0) - 112.5) / 112.5).toBeLessThan(0.03);
  });

  it('reuses a slot when its time comes round: a bucket a lap old reads as empty', async () => {
    await rollups.merge([aggregate({ bucket: BUCKET - 3, samples: 7 }), aggregate({ bucket: BUCKET - 2, samples: 5 })]);
    // A day later BUCKET - 3's slot is bucket BUCKET + 45's: it holds the new samples only.
    const later = BUCKET + LATENCY_TIERS.day.buckets - 3;
    await rollups.merge([aggregate({ bucket: later, samples: 3 })]);
    const to = later * LATENCY_BUCKET_MS;
    const dayNow = () => readLatencyRollup(ctx, 'api', { tier: 'day', from: to - 2 * DAY, to });
    const held = async () => (await dayNow()).vantages[0]?.buckets.map((b) => [b.start / LATENCY_BUCKET_MS, b.samples]);
    expect(await held()).toEqual([
      [BUCKET - 2, 5],
      [later, 3],
    ]);
    // The week tier still holds them all (6-h buckets, 7 days).
    const weekly = async () =>
      (await readLatencyRollup(ctx, 'api', { tier: 'week', from: to - 7 * DAY, to })).vantages[0]?.buckets.reduce(
        (sum, b) => sum + b.samples,
        0,
      );
    expect(await weekly()).toBe(15);
    // An aggregate older than the day tier's window lands in the week tier only.
    await rollups.merge([aggregate({ bucket: BUCKET - 3, samples: 2 })]);
    expect(await held()).toEqual([
      [BUCKET - 2, 5],
      [later, 3],
    ]);
    expect(await weekly()).toBe(17);
    // Two days on, nothing of the day tier is left but the newest bucket.
    await rollups.merge([aggregate({ bucket: later + 96, samples: 1 })]);
    const two = await readLatencyRollup(ctx, 'api', { tier: 'day', from: 0, to: (later + 96) * LATENCY_BUCKET_MS });
    expect(two.vantages[0]?.buckets.map((b) => b.samples)).toEqual([1]);
  });

  it('gives a vantage met later a block of its own without disturbing the others', async () => {
    await rollups.merge([aggregate({ samples: 9 })]);
    await rollups.merge([aggregate({ vantage: 'gamma', samples: 2 })]);
    const read = await day();
    expect(read.vantages.map((v) => [v.vantage, v.buckets[0]?.samples])).toEqual([
      ['alpha', 9],
      ['gamma', 2],
    ]);
  });

  it('keeps a check with three vantages within 1,280 B and its key name, with a time to live', async () => {
    const aggregates = ['alpha', 'beta', 'gamma'].flatMap((vantage) =>
      Array.from({ length: 7 * 24 }, (_, i) => aggregate({ vantage, bucket: BUCKET - i })),
    );
    await rollups.merge(aggregates);
    const key = ctx.keys.latencyRollup('api');
    expect(await t.redis.strlen(key)).toBe(12 + 'alpha\nbeta\ngamma'.length + 3 * 384);
    // The string's allocation is jemalloc's 1,280 B class (1,792 B in version 3); the rest is the
    // key's name and object.
    expect(Number(await t.redis.memory('USAGE', key, 'SAMPLES', 0)) - key.length).toBeLessThanOrEqual(1_280 + 64);
    expect(await t.redis.pttl(key)).toBeGreaterThan(7 * DAY);
    expect((await week()).vantages[2]?.buckets).toHaveLength(28);
    expect((await day()).vantages[2]?.buckets).toHaveLength(24);
  });

  it('reads a missing check, or a key of another layout, as no data', async () => {
    expect((await day('nothing')).vantages).toEqual([]);
    await t.redis.set(ctx.keys.latencyRollup('odd'), 'not a rollup');
    expect((await day('odd')).vantages).toEqual([]);
  });
});

describe('latency rollups on a 3-master Redis Cluster', () => {
  it('merges checks of every shard in one call, each under its own shard tag', async () => {
    const cluster = await startRedisCluster();
    const base = await testContext('rollup-cluster', { redisUrl: cluster.url });
    try {
      const rollups = new LatencyRollups(base);
      const ids = Array.from({ length: 12 }, (_, i) => `web-${i}`);
      expect(new Set(ids.map((id) => base.keys.shardOf(id))).size).toBeGreaterThan(1);
      await rollups.merge(ids.map((checkId, i) => aggregate({ checkId, samples: i + 1 })));
      for (const [i, id] of ids.entries()) {
        const read = await readLatencyRollup(base, id, { tier: 'day', from: NOW - DAY, to: NOW });
        expect(read.vantages[0]?.buckets[0]?.samples, id).toBe(i + 1);
      }
    } finally {
      await base.cleanup();
      await cluster.stop();
    }
  });
});
