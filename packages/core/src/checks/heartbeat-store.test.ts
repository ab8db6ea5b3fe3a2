import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../runtime/keys.js';
import { T0, testRedis } from '../testing/index.js';
import { HeartbeatStore, PING_RATE_LIMIT } from './heartbeat-store.js';

describe('HeartbeatStore', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let store: HeartbeatStore;
  const keys = () => redisKeys(ctx.prefix);

  beforeEach(async () => {
    ctx = await testRedis('heartbeat');
    store = new HeartbeatStore({ redis: ctx.redis, keys: keys() });
  });
  afterEach(() => ctx.cleanup());

  it('keeps only the token’s hash, and a ping with it records the state, the body and a stream entry', async () => {
    const token = await store.rotate('nightly', T0);
    expect(token).toMatch(/^hb_[A-Za-z0-9_-]{32}$/);
    const dump = JSON.stringify(await ctx.redis.hgetall(keys().heartbeatTokens));
    expect(dump).not.toContain(token);
    await expect(store.ping(token, { kind: 'start', now: T0 + 1 })).resolves.toEqual({
      status: 'recorded',
      checkId: 'nightly',
    });
    await store.ping(token, { kind: 'fail', exitCode: 3, body: 'disk full', now: T0 + 2 });
    const shown = await store.show('nightly');
    expect(shown).toEqual({
      state: { since: T0, lastPing: T0 + 2, lastKind: 'fail', exitCode: 3, lastFail: T0 + 2 },
      message: 'disk full',
    });
    await store.joinPings('g');
    const pings = await store.readPings('g', 'c', { count: 10, claimIdleMs: 30_000 });
    expect(pings.map(({ entryId: _id, ...ping }) => ping)).toEqual([
      { checkId: 'nightly', at: T0 + 1, kind: 'start' },
      { checkId: 'nightly', at: T0 + 2, kind: 'fail', exitCode: 3 },
    ]);
  });

  it('takes over a ping another consumer left unacknowledged only when asked to claim', async () => {
    const token = await store.rotate('nightly', T0);
    await store.joinPings('g');
    await store.ping(token, { kind: 'success', now: T0 + 1 });
    expect(await store.readPings('g', 'gone', { count: 10 })).toHaveLength(1); // never acknowledged
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await store.readPings('g', 'alive', { count: 10 })).toEqual([]);
    const taken = await store.readPings('g', 'alive', { count: 10, claimIdleMs: 1 });
    expect(taken.map(({ entryId: _id, ...ping }) => ping)).toEqual([
      { checkId: 'nightly', at: T0 + 1, kind: 'success' },
    ]);
    await store.ackPings(
      'g',
      taken.map((ping) => ping.entryId),
    );
    expect(await store.readPings('g', 'alive', { count: 10, claimIdleMs: 1 })).toEqual([]);
  });

  it('stores nothing for an unknown token', async () => {
    await store.rotate('nightly', T0);
    const before = (await ctx.redis.keys(`${ctx.prefix}:*`)).sort();
    await expect(store.ping('hb_unknown', { kind: 'success', body: 'x', now: T0 })).resolves.toEqual({
      status: 'unknown',
    });
    expect((await ctx.redis.keys(`${ctx.prefix}:*`)).sort()).toEqual(before);
  });

  it('a rotated token replaces the old one, which then counts as unknown', async () => {
    const old = await store.rotate('nightly', T0);
    const fresh = await store.rotate('nightly', T0 + 5);
    await expect(store.ping(old, { kind: 'success', now: T0 + 6 })).resolves.toEqual({ status: 'unknown' });
    await expect(store.ping(fresh, { kind: 'success', now: T0 + 7 })).resolves.toMatchObject({ status: 'recorded' });
    expect((await store.states(['nightly'])).get('nightly')).toMatchObject({ since: T0, lastOk: T0 + 7 });
  });

  it('past the rate limit, pings are refused with when to retry and not recorded', async () => {
    const token = await store.rotate('nightly', T0);
    for (let i = 0; i < PING_RATE_LIMIT.max; i++) await store.ping(token, { kind: 'success', now: T0 + i });
    const refused = await store.ping(token, { kind: 'fail', now: T0 + 100 });
    expect(refused).toMatchObject({ status: 'limited', checkId: 'nightly' });
    expect((await store.states(['nightly'])).get('nightly')?.lastFail).toBeUndefined();
  });

  it('forgets a deleted check: its token stops working', async () => {
    const token = await store.rotate('nightly', T0);
    await store.ping(token, { kind: 'success', body: 'ok', now: T0 });
    await store.forget('nightly');
    await expect(store.ping(token, { kind: 'success', now: T0 + 1 })).resolves.toEqual({ status: 'unknown' });
    expect(await store.show('nightly')).toEqual({});
  });
});
