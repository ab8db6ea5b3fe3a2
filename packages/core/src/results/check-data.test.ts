import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckRegistry } from '../checks/check-registry.js';
import { parseConfig } from '../config/config.js';
import { type KeyLayout, type RedisKeys, redisKeys, utcDay } from '../runtime/keys.js';
import { startRedisCluster, testContext, testRedis } from '../testing/index.js';
import { checkDataKeys, forgetCheckData } from './check-data.js';
import { utcHour } from './uptime.js';

const NOW = Date.UTC(2026, 11, 3, 15, 0);

/** Writes something under every per-check key family of `id`, and its shard entries. */
async function writeEverything(redis: Awaited<ReturnType<typeof testRedis>>['redis'], keys: RedisKeys, id: string) {
  const shard = keys.shardOf(id);
  await redis
    .multi()
    .hset(keys.latest(id), 'alpha', '{}', `~b${NOW}`, 'book')
    .hset(keys.latestMessages(id), '~m1', '0|timed out', 'alpha', 'a long message')
    .set(keys.historyRing(id), 'ring')
    .lpush(keys.history(id), 'entry')
    .set(keys.latencyRollup(id), 'latency')
    .hset(keys.checkState(id), 'state', 'down')
    .hset(keys.addressStates(id), '192.0.2.1', '{}')
    .set(keys.verdictDayRing(id), 'days')
    .set(keys.verdictHourRing(id), 'hours')
    .hset(keys.verdictDays(id), '1', '1')
    .hset(keys.verdictHours(id), '1', '1')
    .hset(keys.uptimeDay(id, utcDay(NOW)), 'alpha:ok', '1')
    .hset(keys.verdictDay(id, utcDay(NOW - 80 * 86_400_000)), 'ok', '1')
    .hset(keys.verdictHour(id, utcHour(NOW - 20 * 3_600_000)), 'ok', '1')
    .zadd(keys.pendingRounds(shard), NOW, `${id}|${NOW}`)
    .hset(keys.transitions(shard), id, '{}')
    .hset(keys.addressTransitions(shard), `${id}|192.0.2.1|${NOW}`, '{}')
    .exec();
}

describe.each<[string, KeyLayout]>([
  ['one Redis', {}],
  ['sharded layout', { shards: 4 }],
])('forgetCheckData (%s)', (_name, layout) => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let keys: RedisKeys;
  beforeEach(async () => {
    ctx = await testRedis('forget');
    keys = redisKeys(ctx.prefix, layout);
  });
  afterEach(() => ctx.cleanup());

  it('removes every key of the check and its shard entries, and nothing of a check whose id it prefixes', async () => {
    await writeEverything(ctx.redis, keys, 'api');
    await writeEverything(ctx.redis, keys, 'api-2');

    expect(await forgetCheckData({ redis: ctx.redis, keys }, 'api', NOW)).toBe(14);

    for (const key of checkDataKeys(keys, 'api', NOW)) expect(await ctx.redis.exists(key)).toBe(0);
    const shard = keys.shardOf('api');
    expect(await ctx.redis.zscore(keys.pendingRounds(shard), `api|${NOW}`)).toBeNull();
    expect(await ctx.redis.hexists(keys.transitions(shard), 'api')).toBe(0);
    expect(await ctx.redis.hexists(keys.addressTransitions(shard), `api|192.0.2.1|${NOW}`)).toBe(0);
    // The other check keeps all of its own.
    const other = keys.shardOf('api-2');
    expect(await ctx.redis.zscore(keys.pendingRounds(other), `api-2|${NOW}`)).not.toBeNull();
    expect(await ctx.redis.hexists(keys.transitions(other), 'api-2')).toBe(1);
    expect(await ctx.redis.hexists(keys.addressTransitions(other), `api-2|192.0.2.1|${NOW}`)).toBe(1);
    expect(await ctx.redis.get(keys.latencyRollup('api-2'))).toBe('latency');
  });

  it('forgets a check with nothing recorded without error', async () => {
    expect(await forgetCheckData({ redis: ctx.redis, keys }, 'never', NOW)).toBe(0);
  });
});

describe('CheckRegistry.delete on a Redis Cluster', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("forgets the check's keys on its own slot, apart from the registry's", async () => {
    const cluster = await startRedisCluster();
    cleanups.push(() => cluster.stop());
    const base = await testContext('forget-cluster', { redisUrl: cluster.url, clock: { now: () => NOW } });
    cleanups.push(base.cleanup);
    const { redis, keys } = base;
    expect(keys.cluster).toBe(true);
    const registry = new CheckRegistry({ redis, keys, clock: { now: () => NOW } });
    const checks = parseConfig(
      'vantages: [a]\nchecks: [{ id: api, tcp: { host: example.com, port: 443 } }, { id: api-2, tcp: { host: example.com, port: 443 } }]',
    ).checks;
    for (const check of checks) await registry.put(check);
    await writeEverything(redis, keys, 'api');
    await writeEverything(redis, keys, 'api-2');

    expect(await registry.delete('api')).toBe(true);

    for (const key of checkDataKeys(keys, 'api', NOW)) expect(await redis.exists(key)).toBe(0);
    expect(await redis.zscore(keys.pendingRounds(keys.shardOf('api')), `api|${NOW}`)).toBeNull();
    expect(await redis.get(keys.latencyRollup('api-2'))).toBe('latency');
    expect((await registry.list()).map((check) => check.id)).toEqual(['api-2']);
  });
});
