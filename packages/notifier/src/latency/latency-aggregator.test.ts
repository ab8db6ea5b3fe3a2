import {
  type Clock,
  DEFAULT_LATENCY_MERGE_MS,
  LATENCY_BUCKET_MS,
  LatencyRollups,
  type ResultJobData,
  readLatencyRollup,
} from '@vigil/core';
import { roundResult, T0, type TestContext, testContext } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testNotifierContext } from '../testing.js';
import { LatencyAggregator } from './latency-aggregator.js';

const BUCKET_START = Math.floor(T0 / LATENCY_BUCKET_MS) * LATENCY_BUCKET_MS;
const DAY = 86_400_000;
/** Merge bounds small enough that a few checks span several pipelines: 3 checks a call, 2 calls a pipeline. */
const SMALL = { checksPerCall: 3, callsPerPipeline: 2 };

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
    now += DEFAULT_LATENCY_MERGE_MS; // the default period: due
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

  /** A notifier whose merges go in SMALL calls and pipelines. */
  const paced = () =>
    new LatencyAggregator({ ...testNotifierContext(t), latencyRollups: new LatencyRollups(t, SMALL) });
  const of = (checkId: string) => readLatencyRollup(t, checkId, { tier: 'day', from: now - DAY, to: now });
  const ofCheck = (checkId: string, sample: ResultJobData): ResultJobData => ({
    ...sample,
    result: { ...sample.result, checkId },
  });

  it('merges more checks than a pipeline carries, each once, and puts back only refused calls’ checks', async () => {
    const aggregator = paced();
    const ids = Array.from({ length: 20 }, (_, i) => `c${i}`);
    aggregator.add(ids.map((id) => ofCheck(id, result('alpha', BUCKET_START, true, 100))));
    // c6 opens the third call (c6, c7, c8), in the second pipeline: Redis refuses it (a hash at c6's key).
    await t.redis.hset(t.keys.latencyRollup('c6'), 'not', 'a rollup');
    await aggregator.flush();
    const samples = async () => Promise.all(ids.map(async (id) => (await of(id)).vantages[0]?.buckets[0]?.samples));
    const refused = new Set(['c6', 'c7', 'c8']);
    await t.redis.del(t.keys.latencyRollup('c6'));
    expect(await samples()).toEqual(ids.map((id) => (refused.has(id) ? undefined : 1)));
    await aggregator.flush();
    expect(await samples()).toEqual(ids.map(() => 1));
  });

  it('forgets one check among many, leaving the others’ sums whole', async () => {
    const aggregator = new LatencyAggregator(testNotifierContext(t));
    const ids = ['a', 'b', 'c', 'd', 'e'];
    // Interleaved, so the checks' entries alternate in the columns.
    for (const [k, vantage] of ['alpha', 'beta', 'alpha', 'gamma', 'beta'].entries()) {
      aggregator.add(ids.map((id, i) => ofCheck(id, result(vantage, BUCKET_START + k * 30_000, true, 100 * (i + 1)))));
    }
    aggregator.forget('c');
    aggregator.add([ofCheck('d', result('gamma', BUCKET_START + 300_000, false, 0))]);
    await aggregator.flush();
    expect(await t.redis.exists(t.keys.latencyRollup('c'))).toBe(0);
    for (const [i, id] of ids.entries()) {
      if (id === 'c') continue;
      const vantages = (await of(id)).vantages.map((v) => [v.vantage, v.buckets[0]?.samples, v.buckets[0]?.failures]);
      expect(vantages, id).toEqual([
        ['alpha', 2, 0],
        ['beta', 2, 0],
        ['gamma', id === 'd' ? 2 : 1, id === 'd' ? 1 : 0],
      ]);
      const total = (await of(id)).vantages[0]?.buckets[0]?.means.total ?? 0;
      expect(Math.abs(total - 100 * (i + 1)) / (100 * (i + 1)), id).toBeLessThan(0.03);
    }
  });

  it('sums many entries across an hour boundary into the buckets, counts and means a plain sum gives', async () => {
    now = BUCKET_START - 1_260_000;
    const aggregator = paced();
    // 12 checks × 3 vantages × 40 rounds a minute apart, from 20 minutes before the hour: two buckets each.
    const results: ResultJobData[] = [];
    for (let k = 0; k < 40; k++) {
      for (let c = 0; c < 12; c++) {
        for (const [v, vantage] of ['alpha', 'beta', 'gamma'].entries()) {
          const total = 10 + ((k * 37 + c * 11 + v * 5) % 90);
          const round = BUCKET_START - 1_200_000 + k * 60_000;
          results.push(ofCheck(`c${c}`, result(vantage, round, (k + c + v) % 7 !== 0, total)));
        }
      }
    }
    // Fed as the recorder hands them over; the hour's merge takes both buckets, a later one the rest.
    aggregator.add(results.slice(0, 30 * 36));
    now = BUCKET_START + 600_000;
    await aggregator.tick();
    aggregator.add(results.slice(30 * 36));
    now = BUCKET_START + 1_260_000;
    await aggregator.flush();
    const expected = referenceSums(results);
    for (let c = 0; c < 12; c++) {
      const got = (await of(`c${c}`)).vantages.flatMap((v) =>
        v.buckets.map((b) => ({
          key: `${v.vantage} ${b.start}`,
          samples: b.samples,
          failures: b.failures,
          total: b.means.total,
        })),
      );
      const want = expected.get(`c${c}`) ?? [];
      expect(got.map(({ total, ...counts }) => counts)).toEqual(want.map(({ total, ...counts }) => counts));
      // Within two codes: the new bucket's slot is merged twice, each merge rounding its mean to a code.
      for (const [i, g] of got.entries()) {
        expect(Math.abs((g.total ?? 0) / (want[i]?.total ?? 1) - 1)).toBeLessThan(0.055);
      }
    }
  });
});

/** Per check, per (vantage, hour bucket) in that order: its counts and mean total over the successes, summed plainly. */
function referenceSums(recorded: readonly ResultJobData[]) {
  type Sum = { key: string; samples: number; failures: number; ms: number };
  const sums = new Map<string, Map<string, Sum>>();
  for (const { result } of recorded) {
    const key = `${result.vantage} ${Math.floor(result.round / LATENCY_BUCKET_MS) * LATENCY_BUCKET_MS}`;
    const byKey = sums.get(result.checkId) ?? new Map<string, Sum>();
    sums.set(result.checkId, byKey);
    const sum = byKey.get(key) ?? { key, samples: 0, failures: 0, ms: 0 };
    byKey.set(key, sum);
    sum.samples++;
    if (result.ok) sum.ms += result.timings.total;
    else sum.failures++;
  }
  return new Map(
    [...sums].map(([checkId, byKey]) => [
      checkId,
      [...byKey.values()]
        .sort((a, b) => a.key.localeCompare(b.key))
        .map(({ ms, ...counts }) => ({ ...counts, total: ms / (counts.samples - counts.failures) })),
    ]),
  );
}
