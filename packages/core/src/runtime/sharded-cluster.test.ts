import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultStore } from '../results/result-store.js';
import {
  sampleResult,
  startRedisCluster,
  type TestContext,
  type TestRedisCluster,
  testContext,
} from '../testing/index.js';
import { createRedis, redisAnswers } from './redis.js';

describe('on a Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let ctx: TestContext;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    ctx = await testContext('cluster', { redisUrl: cluster.url });
  });
  afterAll(async () => {
    await ctx?.cleanup();
    await cluster?.stop();
  });

  it('one connection answers for every master, and a pipeline over many slots answers in order', async () => {
    expect(await redisAnswers(cluster.url)).toBe(true);
    const keys = Array.from({ length: 60 }, (_, i) => `${ctx.prefix}:k${i}`);
    const pipeline = ctx.redis.pipeline();
    for (const [i, key] of keys.entries()) pipeline.set(key, String(i)).get(key);
    const replies = (await pipeline.exec()) ?? [];
    expect(replies.filter((_, i) => i % 2 === 1)).toEqual(keys.map((_, i) => [null, String(i)]));
    const perMaster = await Promise.all(cluster.masters.map((master) => master.dbsize()));
    expect(perMaster.filter((size) => size > 0).length).toBe(3);
  });

  it('records a batch of many checks in one call, its keys spread over the masters', async () => {
    const store = new ResultStore({ redis: ctx.redis, keys: ctx.keys, historySize: 5 });
    const ids = Array.from({ length: 40 }, (_, i) => `check-${i}`);
    const batch = ids.map((checkId) => ({
      result: sampleResult({ checkId, ok: checkId !== 'check-3' }),
      intervalMs: 30_000,
    }));
    expect(await store.recordMany(batch)).toEqual(ids.map(() => 'latest'));
    expect(await store.recordMany(batch.slice(0, 3))).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect((await store.history('check-3'))[0]?.ok).toBe(false);
    expect(Object.keys((await store.latestMany(ids)).get('check-39') ?? {})).toEqual(['alpha']);
    const holding = await Promise.all(
      cluster.masters.map(async (master) => (await master.keys(`${ctx.prefix}:{s*}:check-*`)).length),
    );
    expect(holding.filter((count) => count > 0).length).toBeGreaterThan(1);
    // Each check's latest hash and history ring, nothing else.
    expect(holding.reduce((a, b) => a + b)).toBe(40 * 2);
  });

  it('a second connection sees the same data: the URL is all a role needs', async () => {
    const other = createRedis(cluster.url);
    try {
      expect(await other.get(`${ctx.prefix}:k7`)).toBe('7');
    } finally {
      other.disconnect();
    }
  });
});
