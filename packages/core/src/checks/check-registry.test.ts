import { PassThrough } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.js';
import { redisKeys } from '../runtime/keys.js';
import { createLogger } from '../runtime/logger.js';
import { createRedis } from '../runtime/redis.js';
import { eventually, TEST_REDIS_URL, testRedis } from '../testing/index.js';
import type { Check, CheckCommon } from './check.js';
import { CheckRegistry, PUT_MANY_CHUNK, type RegistryChange } from './check-registry.js';
import { encodeStoredCheck, encodeStoredCheckText } from './stored-check.js';

/** The registry's form written now: byte 0x02, then deflated bytes. */
const COMPACT = 0x02;

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

  it('stores a check compact, reads checks stored in the forms before, and converts them unannounced on a put of the same check', async () => {
    const keys = redisKeys(ctx.prefix);
    await registry.create(sampleCheck('compact'));
    await registry.createOwned({ ...sampleCheck('owned'), owner: 'tenant' }, 10);
    for (const id of ['compact', 'owned']) {
      const stored = (await ctx.redis.hgetBuffer(keys.checks, id)) ?? Buffer.alloc(0);
      expect(stored[0], id).toBe(COMPACT);
      expect(stored.length).toBeLessThan(JSON.stringify(sampleCheck(id)).length / 3);
    }
    expect(await registry.get('compact')).toEqual(sampleCheck('compact'));

    // As releases before wrote them: the check's JSON, then `c` and base64url.
    const old = ['old-1', 'old-2', 'old-3', 'old-4', 'old-5'].map((id) => sampleCheck(id, { owner: 'tenant' }));
    const [json1, text2, json3, text4] = old;
    for (const check of [json1, json3]) if (check) await ctx.redis.hset(keys.checks, check.id, JSON.stringify(check));
    for (const check of [text2, text4, old[4]])
      if (check) await ctx.redis.hset(keys.checks, check.id, encodeStoredCheckText(check));
    expect((await ctx.redis.hget(keys.checks, 'old-2'))?.startsWith('c')).toBe(true);
    expect((await registry.list()).map((c) => c.id)).toEqual([
      'compact',
      'old-1',
      'old-2',
      'old-3',
      'old-4',
      'old-5',
      'owned',
    ]);
    expect(await registry.getMany(['old-1', 'old-2'])).toEqual([json1, text2]);
    const version = await registry.version();
    expect(await registry.put(json1 as Check)).toBe('unchanged');
    expect(await registry.put(text2 as Check)).toBe('unchanged');
    expect(await registry.putMany(old.slice(2))).toEqual({ created: 0, updated: 0, unchanged: 3 });
    expect(await registry.version()).toBe(version);
    for (const check of old) {
      expect((await ctx.redis.hgetBuffer(keys.checks, check.id))?.[0], check.id).toBe(COMPACT);
      expect(await registry.get(check.id)).toEqual(check);
    }
    expect(await registry.put({ ...(json1 as Check), intervalMs: 60_000 })).toBe('updated');
    expect((await registry.get('old-1'))?.intervalMs).toBe(60_000);
  });

  it('converts a JSON value only while it holds what was read: a change made meanwhile stays', async () => {
    const keys = redisKeys(ctx.prefix);
    const old = sampleCheck('race');
    const paused = { ...old, paused: true };
    await ctx.redis.hset(keys.checks, 'race', JSON.stringify(old));
    // A pause lands between putMany's read and its conversion, as an API call could.
    const read = ctx.redis.hmgetBuffer.bind(ctx.redis);
    const racing = Object.assign(ctx.redis, {
      hmgetBuffer: async (...args: Parameters<typeof read>) => {
        const values = await read(...args);
        await ctx.redis.hset(keys.checks, 'race', JSON.stringify(paused));
        return values;
      },
    });
    try {
      expect(await registry.putMany([old])).toEqual({ created: 0, updated: 0, unchanged: 1 });
    } finally {
      delete (racing as { hmgetBuffer?: unknown }).hmgetBuffer;
    }
    expect(await registry.get('race')).toEqual(paused);
    // Without a race it converts.
    await ctx.redis.hset(keys.checks, 'race', JSON.stringify(old));
    expect(await registry.put(old)).toBe('unchanged');
    expect((await ctx.redis.hgetBuffer(keys.checks, 'race'))?.[0]).toBe(COMPACT);
  });

  it('skips a stored value that is not a check, logging its id and never its content', async () => {
    const lines = new PassThrough();
    const logged: string[] = [];
    lines.on('data', (chunk: Buffer) => logged.push(chunk.toString()));
    const log = createLogger({ destination: lines, level: 'warn' });
    const logging = new CheckRegistry({ redis: ctx.redis, keys: redisKeys(ctx.prefix), log });
    await logging.create(sampleCheck('good'));
    const keys = redisKeys(ctx.prefix);
    const bomb = `c${deflateRawSync(Buffer.alloc(1 << 20, 'x')).toString('base64url')}`;
    const compact = (...parts: Buffer[]) => Buffer.concat([Buffer.of(COMPACT), ...parts]);
    const hostile: Record<string, string | Buffer> = {
      'not-json': '{"id":"not-json", secret-token',
      garbage: 'c!!!!secret-token',
      'bad-deflate': `c${Buffer.from('secret-token').toString('base64url')}`,
      'other-id': JSON.stringify(sampleCheck('good')),
      'no-kind': JSON.stringify({ ...sampleCheck('no-kind'), kind: 'smtp' }),
      array: '[1,2]',
      bomb,
      letter: 'x{}',
      'binary-garbage': compact(Buffer.from('secret-token')),
      'binary-bomb': compact(deflateRawSync(Buffer.alloc(1 << 20, 'x'))),
      'binary-other-id': encodeStoredCheck(sampleCheck('good')),
      'binary-cut': encodeStoredCheck(sampleCheck('binary-cut')).subarray(0, 20),
      'binary-empty': Buffer.alloc(0),
    };
    await ctx.redis.hset(keys.checks, hostile);
    expect((await logging.list()).map((c) => c.id)).toEqual(['good']);
    expect(await logging.get('garbage')).toBeUndefined();
    expect(await logging.get('binary-garbage')).toBeUndefined();
    expect(await logging.getMany(['bomb', 'good', 'not-json'])).toEqual([undefined, sampleCheck('good'), undefined]);
    // A put over an unreadable value replaces it.
    expect(await logging.put(sampleCheck('garbage'))).toBe('updated');
    expect(await logging.get('garbage')).toEqual(sampleCheck('garbage'));
    await eventually(async () => logged.length > 0, 2_000, 'warnings logged');
    const text = logged.join('');
    for (const id of Object.keys(hostile)) expect(text).toContain(`"check":"${id}"`);
    expect(text).not.toContain('secret-token');
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
