import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../runtime/keys.js';
import { sampleResult, T0, testRedis } from '../testing/index.js';
import { MESSAGE_CHARS } from './history-entry.js';
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
    const [today] = await store.uptimeDays('api', 1, T0);
    expect(today).toEqual({ day: '2026-11-20', ok: 2, total: 2 });
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

  it('counts uptime per UTC day', async () => {
    await store.record(result({ round: T0 - DAY, ok: false, error: 'timeout' }), 30_000);
    await store.record(result({ round: T0 - DAY + 30_000 }), 30_000);
    await store.record(result({ round: T0 }), 30_000);
    expect(await store.uptimeDays('api', 3, T0)).toEqual([
      { day: '2026-11-18', ok: 0, total: 0 },
      { day: '2026-11-19', ok: 1, total: 2 },
      { day: '2026-11-20', ok: 1, total: 1 },
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
      startedAt: T0 + 1_200,
      finishedAt: T0 + 1_450,
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
      startedAt: T0 + 1_200,
      finishedAt: T0 + 1_450,
      ok: false,
      error: 'http_status',
      status: 503,
      message: failed.message?.slice(0, MESSAGE_CHARS),
      timings: { total: 250 },
    });
    expect(beta).toEqual({ ...result({ vantage: 'beta', slow: true }), startedAt: T0 + 5, timings: { total: 25 } });
    // Far fewer bytes than the JSON document it replaces.
    const [packed] = await ctx.redis.lrangeBuffer(redisKeys(ctx.prefix).history('api'), 0, 0);
    expect(packed?.length).toBeLessThan(20);
    expect(packed?.length).toBeLessThan(JSON.stringify(result({ vantage: 'beta', slow: true })).length / 5);
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
});
