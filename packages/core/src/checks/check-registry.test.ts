import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.js';
import { redisKeys } from '../runtime/keys.js';
import { createRedis } from '../runtime/redis.js';
import { eventually, TEST_REDIS_URL, testRedis } from '../testing/index.js';
import type { Check, CheckCommon } from './check.js';
import { CheckRegistry, type RegistryChange } from './check-registry.js';

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
      { op: 'upsert', id: 'a' },
      { op: 'upsert', id: 'a' },
      { op: 'delete', id: 'a' },
    ]);
    expect(await registry.version()).toBe(before + 3);
    await stop();
    subscriber.disconnect();
  });
});
