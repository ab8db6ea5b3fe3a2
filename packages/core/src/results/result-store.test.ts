import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../runtime/keys.js';
import { sampleResult, T0, testRedis } from '../testing/index.js';
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
});
