import { type Clock, LATENCY_BUCKET_MS, readLatencyRollup } from '@vigil/core';
import { roundResult, T0, type TestContext, testContext } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testNotifierContext } from '../testing.js';
import { LatencyAggregator } from './latency-aggregator.js';

const BUCKET_START = Math.floor(T0 / LATENCY_BUCKET_MS) * LATENCY_BUCKET_MS;
const DAY = 86_400_000;

describe('the latency aggregator', () => {
  let t: TestContext;
  let now: number;
  const clock: Clock = { now: () => now };
  beforeEach(async () => {
    now = BUCKET_START + 60_000;
    t = await testContext('latency-agg', { clock });
  });
  afterEach(() => t.cleanup());

  const read = () => readLatencyRollup(t, 'api', { tier: 'day', from: now - DAY, to: now });
  const result = (vantage: string, round: number, ok: boolean, total: number) => ({
    result: { ...roundResult('api', vantage, round, ok), timings: { dns: 2, connect: 8, total } },
    intervalMs: 30_000,
  });

  it('merges two notifiers’ sums of a bucket once each is due: counts add, means weighted', async () => {
    const one = new LatencyAggregator(testNotifierContext(t));
    const two = new LatencyAggregator(testNotifierContext(t.peer()));
    one.add([result('alpha', BUCKET_START, true, 100), result('alpha', BUCKET_START + 30_000, true, 300)]);
    two.add([result('alpha', BUCKET_START + 60_000, true, 200), result('alpha', BUCKET_START + 90_000, false, 0)]);
    await one.tick();
    expect((await read()).vantages).toEqual([]); // not due yet: held in memory
    now += 300_000;
    await one.tick();
    await two.tick();
    const [bucket] = (await read()).vantages[0]?.buckets ?? [];
    expect(bucket).toMatchObject({ start: BUCKET_START, samples: 4, failures: 1 });
    expect(Math.abs((bucket?.means.total ?? 0) - 200) / 200).toBeLessThan(0.03);
    expect(Math.abs((bucket?.means.dns ?? 0) - 2) / 2).toBeLessThan(0.03);
    expect(bucket?.means.tls).toBeNull();
  });

  it('sums an hour of results in one bucket, the 24 h chart’s point, whichever half they fall in', async () => {
    const aggregator = new LatencyAggregator(testNotifierContext(t), { flushEveryMs: DAY });
    aggregator.add([
      result('alpha', BUCKET_START + 60_000, true, 100),
      result('alpha', BUCKET_START + 3_000_000, true, 300),
    ]);
    await aggregator.flush();
    expect((await read()).vantages[0]?.buckets.map((b) => [b.start, b.samples])).toEqual([[BUCKET_START, 2]]);
    expect(LATENCY_BUCKET_MS).toBe(3_600_000);
  });

  it('merges at an hour boundary even when its last merge was a moment ago', async () => {
    const aggregator = new LatencyAggregator(testNotifierContext(t), { flushEveryMs: DAY });
    now = BUCKET_START + LATENCY_BUCKET_MS - 1_000;
    await aggregator.flush();
    aggregator.add([result('beta', BUCKET_START + 1_000_000, true, 50)]);
    now += 2_000;
    await aggregator.tick();
    expect((await read()).vantages.map((v) => [v.vantage, v.buckets.length])).toEqual([['beta', 1]]);
  });

  it('keeps its sums for the next merge when Redis refuses one', async () => {
    const peer = t.peer();
    const aggregator = new LatencyAggregator(testNotifierContext(peer));
    aggregator.add([result('alpha', BUCKET_START, true, 100)]);
    peer.redis.disconnect();
    await aggregator.flush();
    await peer.redis.connect();
    aggregator.add([result('alpha', BUCKET_START + 30_000, true, 100)]);
    await aggregator.flush();
    expect((await read()).vantages[0]?.buckets[0]?.samples).toBe(2);
  });

  it('puts back only the sums of the calls Redis refused: those that landed are not merged twice', async () => {
    const aggregator = new LatencyAggregator(testNotifierContext(t));
    const sample = (checkId: string) => {
      const r = result('alpha', BUCKET_START, true, 100);
      return { ...r, result: { ...r.result, checkId } };
    };
    // 501 checks: a first call of 500 that Redis refuses (its first key is a hash), 'api' alone in a second.
    const ids = Array.from({ length: 500 }, (_, i) => `c${i}`);
    aggregator.add([...ids.map(sample), sample('api')]);
    await t.redis.hset(t.keys.latencyRollup('c0'), 'not', 'a rollup');
    await aggregator.flush();
    expect((await read()).vantages[0]?.buckets[0]?.samples).toBe(1);
    await t.redis.del(t.keys.latencyRollup('c0'));
    await aggregator.flush();
    const of = (checkId: string) => readLatencyRollup(t, checkId, { tier: 'day', from: now - DAY, to: now });
    expect((await read()).vantages[0]?.buckets[0]?.samples).toBe(1);
    expect((await of('c0')).vantages[0]?.buckets[0]?.samples).toBe(1);
    expect((await of('c499')).vantages[0]?.buckets[0]?.samples).toBe(1);
  });
});
