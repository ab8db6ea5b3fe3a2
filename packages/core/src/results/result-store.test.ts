import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../runtime/keys.js';
import { sampleResult, T0, testRedis } from '../testing/index.js';
import { encodeHistoryEntry } from './history-entry.js';
import { MESSAGE_CHARS, RING_ENTRY_BITS } from './history-ring.js';
import { ResultStore } from './result-store.js';

const DAY = 86_400_000;

const result = sampleResult;

describe('ResultStore', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let store: ResultStore;
  beforeEach(async () => {
    ctx = await testRedis('results');
    store = new ResultStore({ redis: ctx.redis, keys: redisKeys(ctx.prefix), historySize: 5 });
  });
  afterEach(() => ctx.cleanup());

  it('records each (check, vantage, round) once, however often it arrives', async () => {
    expect(await store.record(result(), 30_000)).toBe('latest');
    expect(await store.record(result({ ok: false, error: 'timeout' }), 30_000)).toBe('duplicate');
    expect(await store.record(result({ vantage: 'beta' }), 30_000)).toBe('latest');
    expect(await store.history('api')).toHaveLength(2);
    expect(Object.keys(await store.latest('api')).sort()).toEqual(['alpha', 'beta']);
  });

  it('refuses a batch at a check whose stored key it cannot read, naming the result, with what came before it kept', async () => {
    const keys = redisKeys(ctx.prefix);
    await ctx.redis.set(keys.latest('b'), 'not a hash');
    const booking = { outcome: JSON.stringify({ ok: true }), deadline: T0 + 40_000, expected: 3 };
    const entry = (checkId: string, vantage = 'alpha') => ({
      result: result({ checkId, vantage }),
      intervalMs: 30_000,
      booking,
    });
    // b alone (a result on its own), then b's two side by side (a check's results recorded together).
    for (const batch of [
      [entry('a'), entry('b'), entry('c')],
      [entry('a', 'beta'), entry('b', 'alpha'), entry('b', 'beta'), entry('c', 'beta')],
    ]) {
      await expect(store.recordAndBook(batch)).rejects.toThrow(/^result 2: WRONGTYPE/);
    }
    expect(Object.keys(await store.latest('a')).sort()).toEqual(['alpha', 'beta']);
    expect(await store.latest('c')).toEqual({});
    // a's round waits for its third vantage: booked, and its deadline in the pending rounds.
    const pending = await ctx.redis.zrange(keys.pendingRounds(keys.shardOf('a')), 0, -1, 'WITHSCORES');
    expect(pending.join(' ')).toContain(`a|${T0}`);
    expect(pending).toContain(String(T0 + 40_000));
  });

  it('keeps the newest round as latest when an older one arrives late', async () => {
    await store.record(result({ round: T0 + 30_000, ok: false, error: 'connect_refused' }), 30_000);
    expect(await store.record(result({ round: T0 }), 30_000)).toBe('late');
    const latest = await store.latest('api');
    expect(latest.alpha).toMatchObject({ round: T0 + 30_000, ok: false, error: 'connect_refused' });
  });

  it('caps history, newest first, and filters by vantage', async () => {
    for (let i = 0; i < 8; i++)
      await store.record(result({ round: T0 + i * 30_000, vantage: i % 2 ? 'beta' : 'alpha' }), 30_000);
    const history = await store.history('api');
    expect(history.map((r) => r.round)).toEqual([7, 6, 5, 4, 3].map((i) => T0 + i * 30_000));
    expect((await store.history('api', { vantage: 'beta' })).every((r) => r.vantage === 'beta')).toBe(true);
  });

  it('remembers the rounds recorded within the window, so late and out-of-order duplicates are caught', async () => {
    const at = (k: number) => result({ round: T0 + k * 30_000 });
    expect(await store.record(at(0), 30_000)).toBe('latest');
    expect(await store.record(at(2), 30_000)).toBe('latest');
    expect(await store.record(at(1), 30_000)).toBe('late');
    expect(await store.record(at(3), 30_000)).toBe('latest');
    for (const k of [0, 1, 2, 3]) expect(await store.record(at(k), 30_000)).toBe('duplicate');
    // 30 s rounds are remembered 2 minutes (4 intervals): round 0 is forgotten once round 5 is in.
    expect(await store.record(at(5), 30_000)).toBe('latest');
    expect(await store.record(at(1), 30_000)).toBe('duplicate');
    expect(await store.record(at(4), 30_000)).toBe('late');
    expect((await store.history('api')).map((r) => (r.round - T0) / 30_000)).toEqual([4, 5, 3, 1, 2]);
  });

  it('keeps history and late results of vantages past the ring’s 15 once the ring is full', async () => {
    const vantages = Array.from({ length: 17 }, (_, i) => `v${i + 1}`);
    const round = (k: number) => T0 + k * 30_000;
    for (const vantage of vantages)
      expect(await store.record(result({ vantage, round: round(0) }), 30_000)).toBe('latest');
    expect(await store.record(result({ vantage: 'v17', round: round(2) }), 30_000)).toBe('latest');
    for (const vantage of vantages.slice(0, 3)) await store.record(result({ vantage, round: round(2) }), 30_000);
    // The ring (5 entries) is long full; v16 and v17 write to the list.
    const late = result({ vantage: 'v17', round: round(1), ok: false, error: 'timeout' });
    expect(await store.record(late, 30_000)).toBe('late');
    expect(await store.record(late, 30_000)).toBe('duplicate');
    expect(await store.record(result({ vantage: 'v17', round: round(2) }), 30_000)).toBe('duplicate');
    expect((await store.latest('api')).v17).toMatchObject({ round: round(2), ok: true });

    const v17 = await store.history('api', { vantage: 'v17' });
    expect(v17.map((r) => [(r.round - T0) / 30_000, r.ok])).toEqual([
      [1, false],
      [2, true],
      [0, true],
    ]);
    expect(v17.every((r) => r.checkId === 'api')).toBe(true);
    expect((await store.history('api', { vantage: 'v16' })).map((r) => r.round)).toEqual([round(0)]);
    const all = await store.history('api');
    expect(all.map((r) => `${r.vantage}@${(r.round - T0) / 30_000}`)).toEqual([
      'v3@2',
      'v2@2',
      'v1@2',
      'v17@1',
      'v17@2',
      'v15@0',
      'v14@0',
      'v17@0',
      'v16@0',
    ]);
  });

  it('reads the latest results of many checks at once', async () => {
    await store.record(result(), 30_000);
    await store.record(result({ checkId: 'web', vantage: 'beta' }), 30_000);
    const many = await store.latestMany(['api', 'web', 'none']);
    expect(Object.keys(many.get('api') ?? {})).toEqual(['alpha']);
    expect(Object.keys(many.get('web') ?? {})).toEqual(['beta']);
    expect(many.get('none')).toEqual({});
  });

  it('keeps in history what its readers show, in fixed fields, and a long message truncated', async () => {
    const failed = result({
      ok: false,
      error: 'http_status',
      status: 503,
      message: `unexpected status ${'x'.repeat(500)}`,
      startedAt: T0 + 1_000,
      finishedAt: T0 + 1_250,
      timings: { dns: 3, connect: 5, firstByte: 240, total: 250 },
      remoteAddress: '127.0.0.1',
    });
    await store.record(failed, 30_000);
    await store.record(result({ vantage: 'beta', slow: true }), 30_000);
    const [beta, alpha] = await store.history('api');
    expect(alpha).toEqual({
      checkId: 'api',
      vantage: 'alpha',
      round: T0,
      startedAt: T0 + 1_000,
      finishedAt: T0 + 1_250,
      ok: false,
      error: 'http_status',
      status: 503,
      message: failed.message?.slice(0, MESSAGE_CHARS),
      timings: { total: 250 },
    });
    // When the probe started is kept in steps (0, 25, 50, 100 ms…): 5 ms late reads as on time.
    expect(beta).toEqual({
      ...result({ vantage: 'beta', slow: true }),
      startedAt: T0,
      finishedAt: T0 + 25,
      timings: { total: 25 },
    });
    // 9 bytes an entry, in one string made whole (5 entries: 45 bytes) at the first: far fewer than
    // the JSON document an entry once was.
    const ring = await ctx.redis.getBuffer(redisKeys(ctx.prefix).historyRing('api'));
    expect(ring?.length).toBe(45);
    expect(RING_ENTRY_BITS / 8).toBeLessThan(JSON.stringify(result({ vantage: 'beta', slow: true })).length / 10);
  });

  it('keeps a message once while a vantage keeps failing with it, and the right one per entry', async () => {
    const failing = (i: number, message: string) =>
      result({ round: T0 + i * 30_000, ok: false, error: 'timeout', message });
    for (let i = 0; i < 3; i++) await store.record(failing(i, 'timed out after 5000 ms'), 30_000);
    await store.record(failing(3, 'connection refused'), 30_000);
    await store.record(result({ round: T0 + 4 * 30_000 }), 30_000);
    const messages = await ctx.redis.hgetall(redisKeys(ctx.prefix).latestMessages('api'));
    expect(Object.keys(messages).filter((field) => /^~m\d$/.test(field))).toHaveLength(2);
    expect((await store.history('api')).map((r) => r.message)).toEqual([
      undefined,
      'connection refused',
      'timed out after 5000 ms',
      'timed out after 5000 ms',
      'timed out after 5000 ms',
    ]);
  });

  it('keeps a message with tabs, newlines and non-ASCII text whole, in history and latest', async () => {
    const message = 'status 503\tbody:\n<h1>Überlastet \u{1F525}</h1>\t\t';
    await store.record(result({ ok: false, error: 'http_status', status: 503, message }), 30_000);
    const [entry] = await store.history('api');
    expect(entry).toMatchObject({ ok: false, error: 'http_status', status: 503, message });
    expect((await store.latest('api')).alpha).toMatchObject({ message });
  });

  it('reads an entry without its message once its slot holds another', async () => {
    store = new ResultStore({ redis: ctx.redis, keys: redisKeys(ctx.prefix), historySize: 20 });
    for (let i = 0; i < 9; i++)
      await store.record(result({ round: T0 + i * 30_000, ok: false, error: 'timeout', message: `m${i}` }), 30_000);
    const messages = (await store.history('api')).map((r) => r.message);
    // Seven slots: the two oldest entries' slots were reused by the two newest.
    expect(messages).toEqual(['m8', 'm7', 'm6', 'm5', 'm4', 'm3', 'm2', undefined, undefined]);
  });

  it('keeps the newest entries when the history size changes, from the ring’s next wrap on', async () => {
    for (let i = 0; i < 7; i++) await store.record(result({ round: T0 + i * 30_000 }), 30_000);
    const rounds = async (at: ResultStore) => (await at.history('api')).map((r) => (r.round - T0) / 30_000);
    const smaller = new ResultStore({ redis: ctx.redis, keys: redisKeys(ctx.prefix), historySize: 3 });
    // Written on at its cap of 5 until it wraps (converting every ring at once would put them all in
    // one interval), then the newest 3 kept.
    await smaller.record(result({ round: T0 + 7 * 30_000 }), 30_000);
    expect(await rounds(smaller)).toEqual([7, 6, 5, 4, 3]);
    for (let i = 8; i < 10; i++) await smaller.record(result({ round: T0 + i * 30_000 }), 30_000);
    expect(await rounds(smaller)).toEqual([9, 8, 7]);
    expect(await ctx.redis.strlen(redisKeys(ctx.prefix).historyRing('api'))).toBe(3 * 9);
    // At a wrap point already: a larger cap at once.
    const larger = new ResultStore({ redis: ctx.redis, keys: redisKeys(ctx.prefix), historySize: 6 });
    for (let i = 10; i < 13; i++) await larger.record(result({ round: T0 + i * 30_000 }), 30_000);
    expect(await rounds(larger)).toEqual([12, 11, 10, 9, 8, 7]);
  });

  it('keeps rounds exact across years, dropping entries too old for the moved base', async () => {
    const YEAR = 365 * DAY;
    await store.record(result({ round: T0 + 7 }), 30_000);
    await store.record(result({ round: T0 + 30 * DAY + 1 }), 30_000);
    await store.record(result({ round: T0 + YEAR + 1 }), 30_000);
    await store.record(result({ round: T0 + YEAR + 30 * DAY }), 30_000);
    expect((await store.history('api')).map((r) => r.round)).toEqual([T0 + YEAR + 30 * DAY, T0 + YEAR + 1]);
  });

  it('reads packed entries from before the ring after its own until the ring is full', async () => {
    const keys = redisKeys(ctx.prefix);
    // As a Redis from before the ring holds them: packed entries in the list, the vantage's latest
    // round and index as they were.
    const old = [1, 2, 3].map((i) => Object.assign(encodeHistoryEntry(result({ round: T0 - i * 30_000 })), { 1: 1 }));
    await ctx.redis.rpush(keys.history('api'), ...old);
    await ctx.redis.hset(keys.latest('api'), { alpha: JSON.stringify(result({ round: T0 - 30_000 })) });
    await ctx.redis.hset(keys.latest('api'), { 'alpha:round': T0 - 30_000, 'alpha:i': 1, '~n': 1 });
    expect(await store.record(result({ round: T0 - 30_000 }), 30_000)).toBe('duplicate');
    expect(await store.record(result({ round: T0 }), 30_000)).toBe('latest');
    expect((await store.history('api')).map((r) => (r.round - T0) / 30_000)).toEqual([0, -1, -2, -3]);
    for (let i = 1; i <= 4; i++) await store.record(result({ round: T0 + i * 30_000 }), 30_000);
    expect((await store.history('api')).map((r) => (r.round - T0) / 30_000)).toEqual([4, 3, 2, 1, 0]);
    expect(await ctx.redis.exists(keys.history('api'))).toBe(0);
  });

  it('reads history entries recorded as JSON before the upgrade, beside packed ones', async () => {
    const old = result({ round: T0 - 30_000, ok: false, error: 'timeout', message: 'timed out after 5000 ms' });
    await ctx.redis.lpush(redisKeys(ctx.prefix).history('api'), JSON.stringify(old));
    await store.record(result(), 30_000);
    await store.record(result({ vantage: 'beta' }), 30_000);
    expect((await store.history('api')).map((r) => [r.vantage, r.round, r.ok])).toEqual([
      ['beta', T0, true],
      ['alpha', T0, true],
      ['alpha', T0 - 30_000, false],
    ]);
    expect((await store.history('api', { vantage: 'alpha' }))[1]).toEqual(old);
  });

  it("keeps a healthy check's latest hash listpack-encoded, and a long message apart", async () => {
    const keys = redisKeys(ctx.prefix);
    const healthy = (vantage: string, i: number) =>
      result({
        vantage,
        round: T0 + i * 30_000,
        startedAt: T0 + i * 30_000 + 12,
        finishedAt: T0 + i * 30_000 + 310,
        status: 200,
        remoteAddress: '203.0.113.254',
        timings: { dns: 12, connect: 31, tls: 97, firstByte: 288, total: 298 },
        certExpiresAt: T0 + 61 * DAY,
      });
    for (let i = 0; i < 3; i++)
      await store.recordMany(['alpha', 'beta', 'gamma'].map((v) => ({ result: healthy(v, i), intervalMs: 30_000 })));
    expect(await ctx.redis.object('ENCODING', keys.latest('api'))).toBe('listpack');
    expect(await ctx.redis.exists(keys.latestMessages('api'))).toBe(0);
    expect((await store.latest('api')).beta).toEqual(healthy('beta', 2));

    const message = `expected status 200, got 503 Service Unavailable: ${'x'.repeat(300)}`;
    const failing = { ...healthy('alpha', 3), ok: false, error: 'http_status' as const, status: 503, message };
    await store.record(failing, 30_000);
    expect(await ctx.redis.object('ENCODING', keys.latest('api'))).toBe('listpack');
    expect((await store.latest('api')).alpha).toEqual(failing);
    expect((await store.latestMany(['api'])).get('api')?.alpha).toEqual(failing);
    expect((await store.history('api', { limit: 1 }))[0]?.message).toBe(message.slice(0, MESSAGE_CHARS));
    // Up again: the message kept apart is no longer read.
    await store.record(healthy('alpha', 4), 30_000);
    expect((await store.latest('api')).alpha).toEqual(healthy('alpha', 4));
  });

  it('reads a latest hash of the forms written before (JSON, message slots in it) the same, and compacts it when the ring wraps', async () => {
    const keys = redisKeys(ctx.prefix);
    const failing = (i: number) =>
      result({ round: T0 + i * 30_000, ok: false, error: 'timeout', message: `timed out after 5000 ms (${i % 2})` });
    for (let i = 0; i < 4; i++) await store.record(failing(i), 30_000);
    const beta = result({ vantage: 'beta', round: T0 + 90_000, startedAt: T0 + 90_005, finishedAt: T0 + 90_030 });
    await store.record(beta, 30_000);
    // As the record script wrote them before: the message slots in the latest hash, the latest as
    // JSON (the whole result for alpha, the short form for beta), so a hashtable.
    const slots = await ctx.redis.hgetall(keys.latestMessages('api'));
    await ctx.redis.del(keys.latestMessages('api'));
    const { checkId, vantage, ...whole } = failing(3);
    await ctx.redis.hset(keys.latest('api'), {
      ...slots,
      alpha: JSON.stringify(whole),
      beta: '{"s":5,"f":25,"o":1,"t":[null,1,null,10,25]}',
    });
    expect(await ctx.redis.object('ENCODING', keys.latest('api'))).toBe('hashtable');
    const latestBefore = await store.latest('api');
    const historyBefore = await store.history('api');
    expect(latestBefore).toEqual({ alpha: failing(3), beta });
    expect(historyBefore.map((r) => r.message)).toEqual([
      undefined,
      'timed out after 5000 ms (1)',
      'timed out after 5000 ms (0)',
      'timed out after 5000 ms (1)',
      'timed out after 5000 ms (0)',
    ]);

    // A new message slot beside the old ones; the ring wraps at its 10th entry: rewritten compact.
    await store.record(failing(4), 30_000);
    expect((await store.history('api')).slice(1)).toEqual(historyBefore.slice(0, 4));
    for (let i = 5; i < 9; i++) await store.record(result({ round: T0 + i * 30_000 }), 30_000);
    expect(await ctx.redis.object('ENCODING', keys.latest('api'))).toBe('listpack');
    const fields = Object.keys(await ctx.redis.hgetall(keys.latest('api')));
    expect(fields.filter((field) => /^~m\d$/.test(field))).toEqual([]);
    expect((await store.history('api')).map((r) => r.message)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      'timed out after 5000 ms (0)',
    ]);
    expect((await store.latest('api')).beta).toEqual(latestBefore.beta);
  });
});
