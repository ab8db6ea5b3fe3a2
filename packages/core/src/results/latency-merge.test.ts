import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RedisKeys, redisKeys } from '../runtime/keys.js';
import { startRedisCluster, testContext, testRedis } from '../testing/index.js';
import { type LatencyLines, LatencyMergeError, LatencyRollups, latencyLine } from './latency-merge.js';
import { LATENCY_BUCKET_MS, type LatencyAggregate, readLatencyRollup } from './latency-rollup.js';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const BUCKET = Math.floor(NOW / LATENCY_BUCKET_MS);
const DAY = 86_400_000;
/** Small bounds, so a few checks span several calls and pipelines: 2 checks a call, 2 calls a pipeline. */
const SMALL = { checksPerCall: 2, callsPerPipeline: 2 };

/** One hour aggregate of `checkId`, its samples telling checks apart. */
function aggregate(checkId: string, samples: number, vantage = 'alpha'): LatencyAggregate {
  const means = { total: 120, dns: 4, connect: 10, tls: 30, firstByte: 70 };
  return { checkId, vantage, bucket: BUCKET, samples, failures: 0, means };
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

describe('a latency merge in bounded pipelines', () => {
  let t: Awaited<ReturnType<typeof testRedis>>;
  let ctx: { redis: typeof t.redis; keys: RedisKeys };
  beforeEach(async () => {
    t = await testRedis('latency-merge');
    ctx = { redis: t.redis, keys: redisKeys(t.prefix) };
  });
  afterEach(() => t.cleanup());

  const samplesOf = async (checkId: string) =>
    (await readLatencyRollup(ctx, checkId, { tier: 'day', from: NOW - DAY, to: NOW })).vantages.map((v) => [
      v.vantage,
      v.buckets[0]?.samples,
    ]);

  it('lands every aggregate of more checks than a pipeline carries, each once', async () => {
    const rollups = new LatencyRollups(ctx, SMALL);
    const aggregates = ids(11).flatMap((id, i) => [aggregate(id, i + 1), aggregate(id, i + 20, 'beta')]);
    expect(await rollups.merge(aggregates)).toBe(22);
    for (const [i, id] of ids(11).entries()) {
      expect(await samplesOf(id), id).toEqual([
        ['alpha', i + 1],
        ['beta', i + 20],
      ]);
    }
  });

  it('reads the checks of a pipeline only once the pipeline before has landed', async () => {
    const rollups = new LatencyRollups(ctx, SMALL);
    let seen: Promise<number> | undefined;
    function* lines(): Generator<LatencyLines> {
      for (const [i, id] of ids(9).entries()) {
        // The fifth check opens the second pipeline: the first four are in Redis by then.
        if (i === 4) seen = t.redis.exists(...ids(4).map((first) => ctx.keys.latencyRollup(first)));
        yield [id, latencyLine(aggregate(id, 1))];
      }
    }
    expect(await rollups.mergeLines(lines())).toBe(9);
    expect(await seen).toBe(4);
  });

  it('names the checks of a call refused in a later pipeline as failed, the other calls merged', async () => {
    const rollups = new LatencyRollups(ctx, SMALL);
    // c6 opens the fourth call (c6, c7), in the second pipeline: a hash there makes Redis refuse it.
    await t.redis.hset(ctx.keys.latencyRollup('c6'), 'not', 'a rollup');
    const err = await rollups.merge(ids(10).map((id) => aggregate(id, 3))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LatencyMergeError);
    expect(err).toMatchObject({ merged: 8, failed: ['c6', 'c7'], unknown: [] });
    expect(await samplesOf('c7')).toEqual([]);
    for (const id of ['c0', 'c5', 'c8', 'c9']) expect(await samplesOf(id), id).toEqual([['alpha', 3]]);
  });

  it('merges nothing of a call holding a key of another type, however far into the call it is', async () => {
    const rollups = new LatencyRollups(ctx, SMALL);
    await rollups.merge([aggregate('c0', 2)]);
    // c1 is the second key of the first call (c0, c1): c0's merge must not land twice when put back.
    await t.redis.hset(ctx.keys.latencyRollup('c1'), 'not', 'a rollup');
    const err = await rollups.merge(ids(4).map((id) => aggregate(id, 3))).catch((e: unknown) => e);
    expect(err).toMatchObject({ merged: 2, failed: ['c0', 'c1'], unknown: [] });
    expect(await samplesOf('c0')).toEqual([['alpha', 2]]);
    for (const id of ['c2', 'c3']) expect(await samplesOf(id), id).toEqual([['alpha', 3]]);
    expect(await t.redis.hget(ctx.keys.latencyRollup('c1'), 'not')).toBe('a rollup');
  });

  it('counts every call of every pipeline failed, none unknown, on a client closed for good', async () => {
    const closed = t.redis.duplicate();
    await closed.quit();
    // quit() answers before the socket closes: `end` is the status that says nothing will be sent.
    if (closed.status !== 'end') await new Promise((resolve) => closed.once('end', resolve));
    const rollups = new LatencyRollups({ redis: closed, keys: ctx.keys }, SMALL);
    const err = await rollups.merge(ids(7).map((id) => aggregate(id, 1))).catch((e: unknown) => e);
    expect(err).toMatchObject({ merged: 0, failed: ids(7), unknown: [] });
  });

  it('skips what the script could not read: a vantage with a tab, an aggregate of no sample', async () => {
    expect(latencyLine(aggregate('api', 1, 'al\tpha'))).toBe('');
    expect(latencyLine(aggregate('api', 0))).toBe('');
    expect(await new LatencyRollups(ctx, SMALL).merge([aggregate('api', 0)])).toBe(0);
    expect(await t.redis.exists(ctx.keys.latencyRollup('api'))).toBe(0);
  });
});

describe('a latency merge in bounded pipelines on a 3-master Redis Cluster', () => {
  let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
  let base: Awaited<ReturnType<typeof testContext>>;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    base = await testContext('merge-cluster', { redisUrl: cluster.url });
  });
  afterAll(async () => {
    await base?.cleanup();
    await cluster?.stop();
  });

  it('fills each call with checks of one shard, and lands every aggregate once', async () => {
    const rollups = new LatencyRollups(base, { checksPerCall: 3, callsPerPipeline: 2 });
    const checks = ids(40);
    expect(new Set(checks.map((id) => base.keys.shardOf(id))).size).toBeGreaterThan(3);
    expect(await rollups.merge(checks.map((id, i) => aggregate(id, i + 1)))).toBe(40);
    for (const [i, id] of checks.entries()) {
      const read = await readLatencyRollup(base, id, { tier: 'day', from: NOW - DAY, to: NOW });
      expect(read.vantages[0]?.buckets[0]?.samples, id).toBe(i + 1);
    }
  });

  it('sends calls not yet full once they hold a pipeline’s worth, when no shard fills one', async () => {
    // 200 checks a pipeline's worth; 600 checks over the shards fill no call of 100.
    const rollups = new LatencyRollups(base, { checksPerCall: 100, callsPerPipeline: 2 });
    const checks = Array.from({ length: 600 }, (_, i) => `many-${i}`);
    const perShard = new Map<number, number>();
    for (const id of checks) perShard.set(base.keys.shardOf(id), (perShard.get(base.keys.shardOf(id)) ?? 0) + 1);
    expect(Math.max(...perShard.values())).toBeLessThan(100);
    let landed: Promise<number> | undefined;
    function* lines(): Generator<LatencyLines> {
      for (const [i, id] of checks.entries()) {
        if (i === 400)
          landed = Promise.all(
            checks.slice(0, 200).map((first) => base.redis.exists(base.keys.latencyRollup(first))),
          ).then((n) => n.reduce((a, b) => a + b, 0));
        yield [id, latencyLine(aggregate(id, 1))];
      }
    }
    expect(await rollups.mergeLines(lines())).toBe(600);
    expect(await landed).toBe(200);
  });
});
