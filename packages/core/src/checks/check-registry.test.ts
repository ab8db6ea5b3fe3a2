import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.js';
import { redisKeys } from '../runtime/keys.js';
import { createRedis } from '../runtime/redis.js';
import { eventually, TEST_REDIS_URL, testRedis } from '../testing/index.js';
import type { Check, CheckCommon } from './check.js';
import { CheckRegistry, PUT_MANY_CHUNK, type RegistryChange } from './check-registry.js';

function sampleCheck(id: string, overrides: Partial<CheckCommon> = {}): Check {
  const [check] = parseConfig(`vantages: [a]\nchecks: [{ id: ${id}, tcp: { host: example.com, port: 443 } }]`).checks;
  if (!check) throw new Error('fixture did not parse');
  return { ...check, ...overrides };
}

describe('CheckRegistry', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let registry: CheckRegistry;
  beforeEach(async () => {
    ctx = await testRedis('registry');
    registry = new CheckRegistry({ redis: ctx.redis, keys: redisKeys(ctx.prefix) });
  });
  afterEach(() => ctx.cleanup());

  it('creates, lists, updates and deletes checks', async () => {
    await registry.create(sampleCheck('b'));
    await registry.create(sampleCheck('a'));
    expect((await registry.list()).map((c) => c.id)).toEqual(['a', 'b']);
    await expect(registry.create(sampleCheck('a'))).rejects.toMatchObject({ code: 'CONFLICT' });

    await registry.update(sampleCheck('a', { intervalMs: 60_000 }));
    expect((await registry.get('a'))?.intervalMs).toBe(60_000);
    await expect(registry.update(sampleCheck('zz'))).rejects.toMatchObject({ code: 'NOT_FOUND' });

    expect(await registry.delete('a')).toBe(true);
    expect(await registry.delete('a')).toBe(false);
    expect(await registry.get('a')).toBeUndefined();
  });

  it('forgets what a deleted check left under an id when a check is created with it, by every create path', async () => {
    const keys = redisKeys(ctx.prefix);
    const stale = (id: string) => [keys.latest(id), keys.historyRing(id), keys.checkState(id)];
    const leave = async (id: string) => {
      // What a batch in flight records after a delete forgot its check: results, ring, state.
      await ctx.redis
        .multi()
        .hset(keys.latest(id), 'alpha', '{"ok":false}')
        .set(keys.historyRing(id), 'ring')
        .hset(keys.checkState(id), 'state', 'down')
        .exec();
    };
    for (const id of ['x1', 'x2', 'x3', 'x4']) await leave(id);
    await registry.create(sampleCheck('x1'));
    await registry.createOwned({ ...sampleCheck('x2'), owner: 'tenant' }, 10);
    expect(await registry.put(sampleCheck('x3'))).toBe('created');
    expect(await registry.putMany([sampleCheck('x4')])).toMatchObject({ created: 1 });
    for (const id of ['x1', 'x2', 'x3', 'x4']) expect(await ctx.redis.exists(...stale(id)), id).toBe(0);
    // An update is no create: the check's own data stays.
    await leave('x3');
    expect(await registry.put(sampleCheck('x3', { intervalMs: 60_000 }))).toBe('updated');
    expect(await ctx.redis.exists(...stale('x3'))).toBe(3);
  });

  it('forgets a round booked after the delete even when that is all the id holds, and leaves fresh ids alone', async () => {
    const keys = redisKeys(ctx.prefix);
    const pending = keys.pendingRounds(keys.shardOf('y1'));
    // Only the first outcome of a round: a book field in the latest hash and a pending round.
    await ctx.redis.multi().hset(keys.latest('y1'), '~b1000', 'x').zadd(pending, 5000, 'y1|1000').exec();
    const fresh = Array.from({ length: 50 }, (_, i) => sampleCheck(`fresh${i}`));
    expect(await registry.putMany([...fresh, sampleCheck('y1')])).toMatchObject({ created: 51 });
    expect(await ctx.redis.exists(keys.latest('y1'))).toBe(0);
    expect(await ctx.redis.zscore(pending, 'y1|1000')).toBeNull();
  });

  it('reports unchanged puts and refuses a timeout longer than the interval', async () => {
    expect(await registry.put(sampleCheck('a'))).toBe('created');
    expect(await registry.put(sampleCheck('a'))).toBe('unchanged');
    expect(await registry.put(sampleCheck('a', { paused: true }))).toBe('updated');
    await expect(registry.put(sampleCheck('a', { timeoutMs: 60_000, intervalMs: 30_000 }))).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ path: 'timeout' }],
    });
    expect((await registry.get('a'))?.paused).toBe(true);
  });

  it('announces every change to watchers and bumps the version', async () => {
    const subscriber = createRedis(TEST_REDIS_URL);
    const seen: RegistryChange[] = [];
    const stop = await registry.watch(subscriber, (change) => seen.push(change));
    const before = await registry.version();
    await registry.put(sampleCheck('a'));
    await registry.setPaused('a', true);
    await registry.delete('a');
    await eventually(() => seen.length === 3, 5_000, 'three changes');
    expect(seen).toEqual([
      { op: 'upsert', ids: ['a'] },
      { op: 'upsert', ids: ['a'] },
      { op: 'delete', ids: ['a'] },
    ]);
    expect(await registry.version()).toBe(before + 3);
    await stop();
    subscriber.disconnect();
  });

  it('puts many checks in chunks, with the outcome put would give and one announcement a chunk', async () => {
    const subscriber = createRedis(TEST_REDIS_URL);
    const seen: RegistryChange[] = [];
    const stop = await registry.watch(subscriber, (change) => seen.push(change));
    await registry.put(sampleCheck('c-0', { owner: 'ana' }));
    await registry.put(sampleCheck('c-1'));
    const before = await registry.version();
    const count = PUT_MANY_CHUNK + 10;
    const checks = Array.from({ length: count }, (_, i) => sampleCheck(`c-${i}`, i === 0 ? { owner: 'bo' } : {}));
    expect(await registry.putMany(checks)).toEqual({ created: count - 2, updated: 1, unchanged: 1 });
    expect(await registry.version()).toBe(before + count - 1);
    expect((await registry.ids()).length).toBe(count);
    // Listed a page at a time: every check once, by id, as it is now.
    const listed = await registry.list();
    expect(listed.map((c) => c.id)).toEqual(checks.map((c) => c.id).sort());
    expect(listed.find((c) => c.id === 'c-0')).toEqual(checks[0]);
    expect(await registry.get('c-0')).toEqual(checks[0]);
    expect(await registry.ids('ana')).toEqual([]);
    expect(await registry.ids('bo')).toEqual(['c-0']);
    await eventually(() => seen.length === 4, 5_000, 'two single puts and two chunks');
    const announced = seen.slice(2).flatMap((change) => change.ids);
    expect(new Set(announced)).toEqual(new Set(checks.filter((c) => c.id !== 'c-1').map((c) => c.id)));
    expect(seen.slice(2).map((change) => change.ids.length)).toEqual(expect.arrayContaining([PUT_MANY_CHUNK - 1]));
    expect(await registry.putMany(checks)).toEqual({ created: 0, updated: 0, unchanged: count });
    expect(await registry.version()).toBe(before + count - 1);
    await stop();
    subscriber.disconnect();
  });

  it('writes nothing of a bulk put when one check is invalid', async () => {
    const checks = [sampleCheck('ok-1'), sampleCheck('bad', { timeoutMs: 60_000, intervalMs: 30_000 })];
    await expect(registry.putMany(checks)).rejects.toMatchObject({ code: 'VALIDATION', issues: [{ path: 'timeout' }] });
    expect(await registry.ids()).toEqual([]);
  });
});
