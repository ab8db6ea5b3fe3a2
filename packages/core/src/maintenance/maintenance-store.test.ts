import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.js';
import { type RedisKeys, redisKeys } from '../runtime/keys.js';
import { createRedis } from '../runtime/redis.js';
import { T0, TEST_REDIS_URL, testRedis } from '../testing/index.js';
import { isUnderMaintenance } from './maintenance.js';
import { type Maintenance, maintenanceSchema } from './maintenance-schema.js';
import { MaintenanceSource } from './maintenance-source.js';
import { MaintenanceStore } from './maintenance-store.js';

const HOUR = 3_600_000;

/** A one-off window of an hour from T0 (2026-11-20 12:00Z) over `checks`. */
function oneOff(id: string, checks: string[] = ['api']): Maintenance {
  return maintenanceSchema.parse({
    id,
    title: `Window ${id}`,
    checks,
    start: '2026-11-20T12:00:00Z',
    end: '2026-11-20T13:00:00Z',
  });
}

/** Sundays 02:00–03:30 Paris time, over the `db` component. */
const weekly = maintenanceSchema.parse({
  id: 'weekly-vacuum',
  title: 'Weekly vacuum',
  description: 'Autovacuum off, full vacuum on.',
  components: ['db'],
  start: '2026-11-22T02:00:00+01:00',
  recurring: { every: '1w', duration: '1h30m', timezone: 'Europe/Paris' },
});

describe('MaintenanceStore', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let keys: RedisKeys;
  let store: MaintenanceStore;
  beforeEach(async () => {
    ctx = await testRedis('maintenances');
    keys = redisKeys(ctx.prefix);
    store = new MaintenanceStore({ redis: ctx.redis, keys });
  });
  afterEach(() => ctx.cleanup());

  it('creates and lists by id, refuses a taken id, and deletes', async () => {
    await store.create(oneOff('b'));
    await store.create(oneOff('a'));
    expect((await store.list()).map((m) => m.id)).toEqual(['a', 'b']);
    await expect(store.create(oneOff('a', ['web']))).rejects.toMatchObject({
      code: 'CONFLICT',
      issues: [{ path: 'id', message: 'already exists' }],
    });
    expect((await store.get('a'))?.checks).toEqual(['api']);

    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
    expect(await store.get('a')).toBeUndefined();
    expect((await store.list()).map((m) => m.id)).toEqual(['b']);
  });

  it('round-trips one-off and recurring maintenances exactly', async () => {
    await store.create(oneOff('upgrade'));
    await store.create(weekly);
    expect(await store.get('upgrade')).toEqual(oneOff('upgrade'));
    const stored = await store.get('weekly-vacuum');
    expect(stored).toEqual(weekly);
    expect(stored?.recurring).toEqual({
      every: { count: 1, unit: 'w' },
      duration: 5_400_000,
      timezone: 'Europe/Paris',
    });
    // Stored windows behave like vigil.yaml's: Sunday 6 December 02:30 Paris time is inside one.
    expect(
      isUnderMaintenance(await store.list(), { id: 'pg', component: 'db' }, Date.parse('2026-12-06T01:30:00Z')),
    ).toMatchObject({ id: 'weekly-vacuum' });
  });

  it('tells created, updated and unchanged puts apart, whatever the field order', async () => {
    expect(await store.put(oneOff('upgrade'))).toBe('created');
    const { end, start, ...rest } = oneOff('upgrade');
    expect(await store.put({ end, ...rest, start })).toBe('unchanged');
    expect(await store.put({ ...oneOff('upgrade'), title: 'Longer upgrade', end: T0 + 2 * HOUR })).toBe('updated');
    expect(await store.get('upgrade')).toMatchObject({ title: 'Longer upgrade', end: T0 + 2 * HOUR });
  });

  it('refuses a maintenance that breaks the schema, naming the field', async () => {
    await expect(store.put({ ...oneOff('upgrade'), end: T0 - HOUR })).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ path: 'end', message: 'expected end after start' }],
    });
    await expect(store.create({ ...oneOff('upgrade'), checks: [] })).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [{ path: 'checks' }],
    });
    expect(await store.list()).toEqual([]);
  });

  it('bumps the version on every change and only then', async () => {
    expect(await store.version()).toBe(0);
    await store.create(oneOff('upgrade'));
    expect(await store.version()).toBe(1);
    await expect(store.create(oneOff('upgrade'))).rejects.toMatchObject({ code: 'CONFLICT' });
    await store.put(oneOff('upgrade'));
    expect(await store.version()).toBe(1);
    await store.put({ ...oneOff('upgrade'), title: 'Renamed' });
    await store.put(weekly);
    expect(await store.version()).toBe(3);
    await store.delete('upgrade');
    await store.delete('upgrade');
    expect(await store.version()).toBe(4);
  });
});

describe('MaintenanceSource', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  afterEach(() => ctx.cleanup());

  it("merges vigil.yaml's maintenances with the stored ones and sees another process's changes", async () => {
    ctx = await testRedis('maintenance-source');
    const keys = redisKeys(ctx.prefix);
    const config = parseConfig(`
vantages: [alpha]
checks: [{ id: api, http: { url: "https://api.example.com/" } }]
maintenances:
  - { id: from-yaml, title: From yaml, checks: [api], start: "2026-11-21T00:00:00Z", end: "2026-11-21T01:00:00Z" }
`);
    const source = new MaintenanceSource({ maintenances: new MaintenanceStore({ redis: ctx.redis, keys }), config });
    const other = createRedis(TEST_REDIS_URL);
    try {
      const api = new MaintenanceStore({ redis: other, keys });
      expect((await source.current()).map((m) => m.id)).toEqual(['from-yaml']);

      await api.create(oneOff('from-api'));
      const merged = await source.current();
      expect(merged.map((m) => m.id)).toEqual(['from-yaml', 'from-api']);
      expect(isUnderMaintenance(merged, { id: 'api' }, T0)?.id).toBe('from-api');

      await api.put({ ...oneOff('from-api'), title: 'Renamed' });
      expect((await source.current())[1]?.title).toBe('Renamed');

      await api.delete('from-api');
      expect((await source.current()).map((m) => m.id)).toEqual(['from-yaml']);
    } finally {
      other.disconnect();
    }
  });

  it('reads the stored list again only when the version moved', async () => {
    ctx = await testRedis('maintenance-source');
    const keys = redisKeys(ctx.prefix);
    const maintenances = new MaintenanceStore({ redis: ctx.redis, keys });
    const source = new MaintenanceSource({ maintenances, config: { maintenances: [] } });
    await maintenances.create(oneOff('counted'));
    expect((await source.current()).map((m) => m.id)).toEqual(['counted']);
    // Written behind the store's back, without a version bump: the cached list stands.
    await ctx.redis.hdel(keys.maintenances, 'counted');
    expect((await source.current()).map((m) => m.id)).toEqual(['counted']);
    await ctx.redis.incr(keys.maintenancesVersion);
    expect(await source.current()).toEqual([]);
  });
});
