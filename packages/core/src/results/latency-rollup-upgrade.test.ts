import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RedisKeys, redisKeys } from '../runtime/keys.js';
import { defineScripts } from '../runtime/scripts.js';
import { testRedis } from '../testing/index.js';
import { LatencyRollups } from './latency-merge.js';
import {
  LATENCY_BUCKET_MS,
  LATENCY_TIERS,
  type LatencyAggregate,
  type LatencyBucket,
  type LatencyRollup,
  type LatencyTier,
  readLatencyRollup,
} from './latency-rollup.js';

const DAY = 86_400_000;
const WEEK_MS = LATENCY_TIERS.week.bucketMs;
/** The bucket the releases before aggregated by (versions 1–3): half an hour, two an hour bucket now. */
const HALF_HOUR = 1_800_000;
/** Half-hour buckets a six-hour bucket spans. */
const PER_WEEK = WEEK_MS / HALF_HOUR;
/** Half-hour buckets an hour bucket (today's LATENCY_BUCKET_MS) spans. */
const PER_HOUR = LATENCY_BUCKET_MS / HALF_HOUR;

/** The releases before's merge scripts (lua-v1/), as notifiers of those versions call them. */
interface V1Commands {
  vigilMergeLatencyRollupsV1(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
  vigilMergeLatencyRollupsV2(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
  vigilMergeLatencyRollupsV3(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
}

/** Half-hour aggregates as today's notifiers merge them: each in its hour bucket (two parts of it merged apart). */
function inHours(aggregates: readonly LatencyAggregate[]): LatencyAggregate[] {
  return aggregates.map((a) => ({ ...a, bucket: Math.floor(a.bucket / PER_HOUR) }));
}

/** Seven days of half-hour aggregates for two vantages, newest `top`, each bucket its own counts and means. */
function week(top: number): LatencyAggregate[] {
  return ['alpha', 'beta'].flatMap((vantage, v) =>
    Array.from({ length: 7 * 48 }, (_, i) => ({
      checkId: 'api',
      vantage,
      bucket: top - i,
      samples: 1 + ((i + v) % 5),
      failures: i % 7 === 0 ? 1 : 0,
      means: { total: 100 + (i % 3) * 150 + v * 40, dns: i % 4 === 0 ? 0 : 3, connect: 9, tls: 25, firstByte: 60 + i },
    })),
  );
}

function line(a: LatencyAggregate): string {
  const m = a.means;
  return `${a.vantage}\t${a.bucket}\t${a.samples}\t${a.failures}\t${m.total}\t${m.dns}\t${m.connect}\t${m.tls}\t${m.firstByte}\n`;
}

/**
 * The mean of a phase over the successful samples of the (half-hour) aggregates a bucket of `tier`
 * starting at `start` sums.
 */
function trueMean(
  aggregates: readonly LatencyAggregate[],
  where: { vantage: string; tier: LatencyTier; start: number; phase: 'total' | 'firstByte' },
): number {
  const ms = LATENCY_TIERS[where.tier].bucketMs;
  const of = aggregates.filter(
    (a) => a.vantage === where.vantage && Math.floor((a.bucket * HALF_HOUR) / ms) * ms === where.start,
  );
  const ok = of.map((a) => a.samples - a.failures);
  return of.reduce((sum, a, i) => sum + a.means[where.phase] * (ok[i] ?? 0), 0) / ok.reduce((x, y) => x + y, 0);
}

/** Per vantage, bucket start → the bucket, to compare two reads. */
function byStart(rollup: LatencyRollup): Map<string, Map<number, LatencyBucket>> {
  return new Map(rollup.vantages.map((v) => [v.vantage, new Map(v.buckets.map((b) => [b.start, b]))]));
}

describe('a latency rollup of the layout before (version 1: 56 three-hour week slots)', () => {
  let t: Awaited<ReturnType<typeof testRedis>>;
  let keys: RedisKeys;
  let v1: V1Commands;
  beforeEach(async () => {
    t = await testRedis('rollup-v1');
    keys = redisKeys(t.prefix);
    v1 = defineScripts<V1Commands>(t.redis, new URL('./lua-v1/', import.meta.url));
  });
  afterEach(() => t.cleanup());

  const writeV1 = (aggregates: LatencyAggregate[]) =>
    v1.vigilMergeLatencyRollupsV1(1, keys.latencyRollup('api'), 8 * DAY, aggregates.map(line).join(''));
  const read = (tier: LatencyTier, to: number) =>
    readLatencyRollup({ redis: t.redis, keys }, 'api', { tier, from: to - (tier === 'day' ? DAY : 7 * DAY), to });

  // Its newest three-hour bucket the second half of a six-hour one (top at 11:30), then the first (12:00).
  for (const top of [Date.UTC(2026, 11, 3, 11, 30), Date.UTC(2026, 11, 3, 12, 0)].map((ms) => ms / HALF_HOUR)) {
    const label = new Date(top * HALF_HOUR).toISOString().slice(11, 16);
    it(`is read as it is, its week in six-hour buckets, its day in hours (newest at ${label})`, async () => {
      const aggregates = week(top);
      await writeV1(aggregates);
      expect((await t.redis.getBuffer(keys.latencyRollup('api')))?.[0]).toBe(1);
      const now = (top + 1) * HALF_HOUR - 1;
      const weekly = await read('week', now);
      for (const vantage of ['alpha', 'beta']) {
        const buckets = weekly.vantages.find((v) => v.vantage === vantage)?.buckets ?? [];
        expect(buckets.length, vantage).toBeGreaterThanOrEqual(LATENCY_TIERS.week.buckets);
        for (const bucket of buckets.slice(-LATENCY_TIERS.week.buckets)) {
          const of = aggregates.filter(
            (a) => a.vantage === vantage && Math.floor(a.bucket / PER_WEEK) * WEEK_MS === bucket.start,
          );
          const ok = of.map((a) => a.samples - a.failures);
          const okSum = ok.reduce((x, y) => x + y, 0);
          const mean = of.reduce((sum, a, i) => sum + a.means.total * (ok[i] ?? 0), 0) / okSum;
          expect(bucket.samples).toBe(of.reduce((sum, a) => sum + a.samples, 0));
          expect(bucket.failures).toBe(of.reduce((sum, a) => sum + a.failures, 0));
          if (okSum === 0) expect(bucket.means.total).toBeNull();
          // Each of the six merges into a three-hour slot rounds its mean to a code (±2.6 %).
          else expect(Math.abs((bucket.means.total ?? 0) - mean) / mean).toBeLessThan(0.06);
        }
      }
      // 24 h of half hours, two an hour: 24 hours, and the second half of a 25th when the newest is a first half.
      const daily = await read('day', now);
      const hour = Math.floor(top / PER_HOUR);
      const newest = aggregates.filter((a) => a.vantage === 'alpha' && Math.floor(a.bucket / PER_HOUR) === hour);
      expect(daily.vantages[0]?.buckets).toHaveLength(top % PER_HOUR === 0 ? 25 : 24);
      expect(daily.vantages[0]?.buckets.at(-1)).toMatchObject({
        start: hour * LATENCY_BUCKET_MS,
        samples: newest.reduce((sum, a) => sum + a.samples, 0),
      });
    });

    it(`is rewritten as version 4 by its next merge, keeping what it held (newest at ${label})`, async () => {
      const aggregates = week(top);
      await writeV1(aggregates);
      const now = (top + 1) * HALF_HOUR - 1;
      const before = { day: byStart(await read('day', now)), week: byStart(await read('week', now)) };

      const next = Math.floor(top / PER_HOUR) + 1;
      const means = { total: 80, dns: 2, connect: 7, tls: 20, firstByte: 50 };
      const merged = await new LatencyRollups({ redis: t.redis, keys }).merge([
        { checkId: 'api', vantage: 'gamma', bucket: next, samples: 4, failures: 0, means },
        { checkId: 'api', vantage: 'alpha', bucket: next, samples: 2, failures: 1, means },
      ]);
      expect(merged).toBe(2);
      const raw = await t.redis.getBuffer(keys.latencyRollup('api'));
      expect(raw?.[0]).toBe(4);
      expect(raw?.length).toBe(12 + 'alpha\nbeta\ngamma'.length + 3 * 384);
      expect(await t.redis.pttl(keys.latencyRollup('api'))).toBeGreaterThan(7 * DAY);

      const later = next * LATENCY_BUCKET_MS + 1;
      const after = { day: byStart(await read('day', later)), week: byStart(await read('week', later)) };
      const newDay = next * LATENCY_BUCKET_MS;
      const newWeek = Math.floor((next * LATENCY_BUCKET_MS) / WEEK_MS) * WEEK_MS;
      for (const tier of ['day', 'week'] as const) {
        const fresh = tier === 'day' ? newDay : newWeek;
        for (const [start, bucket] of after[tier].get('alpha') ?? []) {
          const held = before[tier].get('alpha')?.get(start);
          if (start !== fresh) {
            // Unchanged counts; means as the day tier's bytes (copied) or its merged pairs said, within
            // the codes' rounding of what was merged (a week bucket the day tier covers now reads from it).
            expect(bucket.samples, `${tier} ${start}`).toBe(held?.samples);
            expect(bucket.failures).toBe(held?.failures);
            const mean = trueMean(aggregates, { vantage: 'alpha', tier, start, phase: 'total' });
            if (Number.isNaN(mean)) expect(bucket.means.total).toBeNull();
            else expect(Math.abs((bucket.means.total ?? 0) - mean)).toBeLessThanOrEqual(0.06 * mean);
            continue;
          }
          expect(bucket.samples, `${tier} ${start}`).toBe((held?.samples ?? 0) + 2);
          expect(bucket.failures).toBe((held?.failures ?? 0) + 1);
        }
        expect(after[tier].get('gamma')?.get(fresh)?.samples).toBe(4);
        // Beta merged nothing: all it held in the windows, the week's newest bucket empty if it just began.
        const weekHeld = LATENCY_TIERS.week.buckets - ((next * LATENCY_BUCKET_MS) % WEEK_MS === 0 ? 1 : 0);
        expect(after[tier].get('beta')?.size).toBe(tier === 'day' ? 23 : weekHeld);
      }
    });
  }

  it('is never mistaken for a later version when a notifier of that release merges into a key of today', async () => {
    const top = Date.UTC(2026, 11, 3, 12, 0) / LATENCY_BUCKET_MS;
    const rollups = new LatencyRollups({ redis: t.redis, keys });
    const means = { total: 80, dns: 2, connect: 7, tls: 20, firstByte: 50 };
    await rollups.merge([{ checkId: 'api', vantage: 'alpha', bucket: top, samples: 3, failures: 0, means }]);
    // An old notifier, still running mid-upgrade, reads it as version 1: slots misplaced, heads mixed.
    const half = (top + 1) * PER_HOUR;
    await writeV1([{ checkId: 'api', vantage: 'alpha', bucket: half, samples: 5, failures: 0, means }]);
    const later = (top + 2) * LATENCY_BUCKET_MS;
    expect((await read('day', later)).vantages).toEqual([]);
    expect((await read('week', later)).vantages).toEqual([]);
    // The next merge replaces the key: what it merges, read right.
    await rollups.merge([{ checkId: 'api', vantage: 'alpha', bucket: top + 2, samples: 7, failures: 0, means }]);
    const raw = await t.redis.getBuffer(keys.latencyRollup('api'));
    expect(raw?.[0]).toBe(4);
    expect(raw?.length).toBe(12 + 'alpha'.length + 384);
    expect((await read('day', later)).vantages[0]?.buckets.map((b) => b.samples)).toEqual([7]);
    expect((await read('week', later)).vantages[0]?.buckets.map((b) => b.samples)).toEqual([7]);
  });
});

describe("a latency rollup of version 2 (28 six-hour week slots holding the day tier's half hours too)", () => {
  let t: Awaited<ReturnType<typeof testRedis>>;
  let keys: RedisKeys;
  let old: V1Commands;
  beforeEach(async () => {
    t = await testRedis('rollup-v2');
    keys = redisKeys(t.prefix);
    old = defineScripts<V1Commands>(t.redis, new URL('./lua-v1/', import.meta.url));
  });
  afterEach(() => t.cleanup());

  const means = { total: 80, dns: 2, connect: 7, tls: 20, firstByte: 50 };
  /** Merges as notifiers do, a flush at a time: each half hour's aggregates, oldest first, then one late. */
  const feed = async (
    merge: (id: string, aggregates: LatencyAggregate[]) => Promise<unknown>,
    id: string,
    top: number,
  ): Promise<LatencyAggregate[]> => {
    const aggregates = week(top).map((a) => ({ ...a, checkId: id }));
    for (let bucket = top - 7 * 48 + 1; bucket <= top; bucket++)
      await merge(
        id,
        aggregates.filter((a) => a.bucket === bucket),
      );
    // Late: a notifier's flush of half hours the day tier has left, and one older than 7 d.
    const late = [
      { checkId: id, vantage: 'alpha', bucket: top - 60, samples: 3, failures: 1, means },
      { checkId: id, vantage: 'beta', bucket: top - 8 * 48, samples: 3, failures: 0, means },
    ];
    await merge(id, late);
    return [...aggregates, ...late];
  };
  const mergeV2 = (id: string, aggregates: LatencyAggregate[]) =>
    old.vigilMergeLatencyRollupsV2(1, keys.latencyRollup(id), 8 * DAY, aggregates.map(line).join(''));
  /**
   * A chart's read; the day tier's from the oldest hour the day tier of today holds at `to`: a key of
   * before, whose newest is a first half hour, holds the second half of the hour before that too.
   */
  const read = (id: string, tier: LatencyTier, to: number) => {
    const from = tier === 'day' ? (Math.floor(to / LATENCY_BUCKET_MS) - 23) * LATENCY_BUCKET_MS : to - 7 * DAY;
    return readLatencyRollup({ redis: t.redis, keys }, id, { tier, from, to });
  };
  /**
   * A chart's buckets, per vantage: the buckets and counts `want` has, the means within `within` of
   * the true means of what was `merged` (each merge into a slot rounds to a code: over a week of these
   * aggregates version 3 drifted up to 6.1 % from them, version 2 up to 10.8 %).
   */
  const expectSame = (
    got: LatencyRollup,
    want: LatencyRollup,
    tier: LatencyTier,
    merged: { aggregates: readonly LatencyAggregate[]; within: number },
  ) => {
    const what = tier;
    expect(got.vantages.map((v) => v.vantage)).toEqual(want.vantages.map((v) => v.vantage));
    const wanted = byStart(want);
    for (const { vantage, buckets } of got.vantages) {
      const of = wanted.get(vantage) ?? new Map<number, LatencyBucket>();
      expect(
        buckets.map((b) => b.start),
        `${what} ${vantage}`,
      ).toEqual([...of.keys()]);
      for (const bucket of buckets) {
        const held = of.get(bucket.start);
        expect([bucket.samples, bucket.failures], `${what} ${vantage} ${bucket.start}`).toEqual([
          held?.samples,
          held?.failures,
        ]);
        for (const phase of ['total', 'firstByte'] as const) {
          const mean = trueMean(merged.aggregates, { vantage, tier, start: bucket.start, phase });
          if (Number.isNaN(mean)) {
            expect(bucket.means[phase]).toBeNull();
            continue;
          }
          expect(
            Math.abs((bucket.means[phase] ?? 0) - mean),
            `${what} ${vantage} ${bucket.start} ${phase}`,
          ).toBeLessThanOrEqual(merged.within * mean);
        }
      }
    }
  };

  // The day head at the end of a six-hour bucket, and at its start.
  for (const top of [Date.UTC(2026, 11, 3, 11, 30), Date.UTC(2026, 11, 3, 12, 0)].map((ms) => ms / HALF_HOUR)) {
    const label = new Date(top * HALF_HOUR).toISOString().slice(11, 16);
    it(`version 4 charts show what version 2 showed for the same merges, in 1,280 B (newest at ${label})`, async () => {
      const rollups = new LatencyRollups({ redis: t.redis, keys });
      await feed(mergeV2, 'v2', top);
      // Today's notifiers sum by the hour: each half hour's flush lands in its hour bucket.
      const merged = await feed((_, aggregates) => rollups.merge(inHours(aggregates)), 'v4', top);
      const now = (top + 1) * HALF_HOUR - 1;
      for (const tier of ['day', 'week'] as const)
        expectSame(await read('v4', tier, now), await read('v2', tier, now), tier, {
          aggregates: merged,
          within: 0.08,
        });
      const weekly = await read('v4', 'week', now);
      expect(weekly.vantages[0]?.buckets).toHaveLength(LATENCY_TIERS.week.buckets);
      expect((await read('v4', 'day', now)).vantages[0]?.buckets).toHaveLength(24);
      expect(await t.redis.strlen(keys.latencyRollup('v4'))).toBe(12 + 'alpha\nbeta'.length + 2 * 384);
    });

    it(`is read as it is, then rewritten as version 4 by its next merge, keeping what it held (newest at ${label})`, async () => {
      const merged = await feed(mergeV2, 'api', top);
      expect((await t.redis.getBuffer(keys.latencyRollup('api')))?.[0]).toBe(2);
      const now = (top + 1) * HALF_HOUR - 1;
      const before = { day: await read('api', 'day', now), week: await read('api', 'week', now) };
      expect(before.week.vantages[0]?.buckets).toHaveLength(LATENCY_TIERS.week.buckets);
      // Merged into a bucket already held, so both charts keep their buckets: only its counts grow.
      await new LatencyRollups({ redis: t.redis, keys }).merge([
        { checkId: 'api', vantage: 'gamma', bucket: Math.floor(top / PER_HOUR), samples: 4, failures: 0, means },
      ]);
      const raw = await t.redis.getBuffer(keys.latencyRollup('api'));
      expect(raw?.[0]).toBe(4);
      expect(raw?.length).toBe(12 + 'alpha\nbeta\ngamma'.length + 3 * 384);
      for (const tier of ['day', 'week'] as const) {
        const after = await read('api', tier, now);
        expect(after.vantages[2]).toMatchObject({ vantage: 'gamma', buckets: [{ samples: 4 }] });
        // What version 2 held, its drift and all: its week slots are kept, less the day tier's part.
        expectSame({ vantages: after.vantages.slice(0, 2) }, before[tier], tier, { aggregates: merged, within: 0.11 });
      }
    });
  }
});

describe('a latency rollup of version 3 (48 half-hour day slots a vantage)', () => {
  let t: Awaited<ReturnType<typeof testRedis>>;
  let keys: RedisKeys;
  let old: V1Commands;
  beforeEach(async () => {
    t = await testRedis('rollup-v3');
    keys = redisKeys(t.prefix);
    old = defineScripts<V1Commands>(t.redis, new URL('./lua-v1/', import.meta.url));
  });
  afterEach(() => t.cleanup());

  const means = { total: 80, dns: 2, connect: 7, tls: 20, firstByte: 50 };
  /** Seven days merged by notifiers of version 3, a half hour's flush at a time, then a late one. */
  const feedV3 = async (top: number): Promise<LatencyAggregate[]> => {
    const aggregates = week(top);
    for (let bucket = top - 7 * 48 + 1; bucket <= top; bucket++) {
      const flush = aggregates.filter((a) => a.bucket === bucket);
      await old.vigilMergeLatencyRollupsV3(1, keys.latencyRollup('api'), 8 * DAY, flush.map(line).join(''));
    }
    const late = { checkId: 'api', vantage: 'alpha', bucket: top - 60, samples: 3, failures: 1, means };
    await old.vigilMergeLatencyRollupsV3(1, keys.latencyRollup('api'), 8 * DAY, line(late));
    return [...aggregates, late];
  };
  /** The day tier from the oldest hour today's holds at `to` (version 3 may hold half of the one before). */
  const read = (tier: LatencyTier, to: number) => {
    const from = tier === 'day' ? (Math.floor(to / LATENCY_BUCKET_MS) - 23) * LATENCY_BUCKET_MS : to - 7 * DAY;
    return readLatencyRollup({ redis: t.redis, keys }, 'api', { tier, from, to });
  };
  /** Within one latency code (×1.0538) of `want`, or both null. */
  const expectNear = (got: number | null, want: number | null, what: string) => {
    if (want === null || got === null) expect(got, what).toBe(want);
    else expect(Math.abs(Math.log(got / want)), what).toBeLessThanOrEqual(Math.log(1.0538) + 1e-3);
  };

  for (const top of [Date.UTC(2026, 11, 3, 11, 30), Date.UTC(2026, 11, 3, 12, 0)].map((ms) => ms / HALF_HOUR)) {
    const label = new Date(top * HALF_HOUR).toISOString().slice(11, 16);
    it(`is read as it is, its half hours summed in pairs into hours (newest at ${label})`, async () => {
      const merged = await feedV3(top);
      expect((await t.redis.getBuffer(keys.latencyRollup('api')))?.[0]).toBe(3);
      const now = (top + 1) * HALF_HOUR - 1;
      const daily = await read('day', now);
      for (const { vantage, buckets } of daily.vantages) {
        expect(buckets, vantage).toHaveLength(24);
        for (const bucket of buckets) {
          const of = merged.filter(
            (a) => a.vantage === vantage && Math.floor(a.bucket / PER_HOUR) * LATENCY_BUCKET_MS === bucket.start,
          );
          expect([bucket.samples, bucket.failures]).toEqual([
            of.reduce((sum, a) => sum + a.samples, 0),
            of.reduce((sum, a) => sum + a.failures, 0),
          ]);
          const mean = trueMean(merged, { vantage, tier: 'day', start: bucket.start, phase: 'total' });
          if (Number.isNaN(mean)) expect(bucket.means.total).toBeNull();
          else expect(Math.abs((bucket.means.total ?? 0) - mean)).toBeLessThanOrEqual(0.03 * mean);
        }
      }
      expect((await read('week', now)).vantages[0]?.buckets).toHaveLength(LATENCY_TIERS.week.buckets);
    });

    it(`is rewritten as version 4 by its next merge, no count lost, means within one code (newest at ${label})`, async () => {
      await feedV3(top);
      const now = (top + 1) * HALF_HOUR - 1;
      const before = { day: await read('day', now), week: await read('week', now) };
      // Into an hour already held: the charts keep their buckets, only gamma's new one added.
      const merged = await new LatencyRollups({ redis: t.redis, keys }).merge([
        { checkId: 'api', vantage: 'gamma', bucket: Math.floor(top / PER_HOUR), samples: 4, failures: 0, means },
      ]);
      expect(merged).toBe(1);
      const raw = await t.redis.getBuffer(keys.latencyRollup('api'));
      expect(raw?.[0]).toBe(4);
      expect(raw?.length).toBe(12 + 'alpha\nbeta\ngamma'.length + 3 * 384);
      // Three vantages in jemalloc's 1,280 B class (1,792 B in version 3), and the key's own.
      const key = keys.latencyRollup('api');
      expect(Number(await t.redis.memory('USAGE', key, 'SAMPLES', 0)) - key.length).toBeLessThanOrEqual(1_280 + 64);
      for (const tier of ['day', 'week'] as const) {
        const after = await read(tier, now);
        expect(after.vantages.map((v) => v.vantage)).toEqual(['alpha', 'beta', 'gamma']);
        expect(after.vantages[2]).toMatchObject({ vantage: 'gamma', buckets: [{ samples: 4 }] });
        for (const [v, held] of before[tier].vantages.entries()) {
          const got = after.vantages[v]?.buckets ?? [];
          expect(
            got.map((b) => [b.start, b.samples, b.failures]),
            `${tier} ${held.vantage}`,
          ).toEqual(held.buckets.map((b) => [b.start, b.samples, b.failures]));
          held.buckets.forEach((bucket, i) => {
            for (const phase of ['total', 'dns', 'firstByte'] as const)
              expectNear(got[i]?.means[phase] ?? null, bucket.means[phase], `${tier} ${bucket.start} ${phase}`);
          });
        }
      }
    });
  }

  it('is started afresh when a notifier of version 3 merges into a key of today, and rewritten by the next', async () => {
    const hour = Date.UTC(2026, 11, 3, 12, 0) / LATENCY_BUCKET_MS;
    const rollups = new LatencyRollups({ redis: t.redis, keys });
    await rollups.merge([{ checkId: 'api', vantage: 'alpha', bucket: hour, samples: 3, failures: 0, means }]);
    // Not upgraded yet: it reads no version 4, so it writes its own layout anew, with what it merges.
    const late = { checkId: 'api', vantage: 'beta', bucket: hour * PER_HOUR + 1, samples: 5, failures: 0, means };
    await old.vigilMergeLatencyRollupsV3(1, keys.latencyRollup('api'), 8 * DAY, line(late));
    expect((await t.redis.getBuffer(keys.latencyRollup('api')))?.[0]).toBe(3);
    const later = (hour + 1) * LATENCY_BUCKET_MS - 1;
    expect((await read('day', later)).vantages.map((v) => [v.vantage, v.buckets.map((b) => b.samples)])).toEqual([
      ['beta', [5]],
    ]);
    await rollups.merge([{ checkId: 'api', vantage: 'alpha', bucket: hour, samples: 2, failures: 0, means }]);
    expect((await t.redis.getBuffer(keys.latencyRollup('api')))?.[0]).toBe(4);
    expect((await read('day', later)).vantages.map((v) => [v.vantage, v.buckets.map((b) => b.samples)])).toEqual([
      ['beta', [5]],
      ['alpha', [2]],
    ]);
  });
});
