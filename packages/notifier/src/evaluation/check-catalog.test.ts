import { CheckRegistry, parseConfig } from '@vigil/core';
import { eventually, testContext } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { testNotifierContext } from '../testing.js';
import { CheckCatalog } from './check-catalog.js';

const config = parseConfig(`
vantages: [alpha]
checks:
  - { id: web, tcp: { host: example.com, port: 443 } }
`);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A notifier context under a fresh prefix (deleted after the test) and the fixture's check. */
async function setup(name: string) {
  const base = await testContext(name);
  cleanups.push(base.cleanup);
  const ctx = testNotifierContext(base, { config });
  const [template] = config.checks;
  if (!template) throw new Error('fixture has no check');
  return { base, ctx, template };
}

/** A started catalog, closed after the test. */
async function startCatalog(ctx: ConstructorParameters<typeof CheckCatalog>[0], checkEveryMs: number) {
  const catalog = new CheckCatalog(ctx);
  await catalog.start({ checkEveryMs });
  cleanups.push(() => catalog.close());
  return catalog;
}

describe('CheckCatalog', () => {
  it('follows single puts, bulk puts and deletes through the change channel, without a reload', async () => {
    const { ctx, template } = await setup('catalog');
    await ctx.checks.put(template);
    const catalog = await startCatalog(ctx, 3_600_000);
    expect(catalog.size()).toBe(1);

    const bulk = Array.from({ length: 1_500 }, (_, i) => ({ ...template, id: `bulk-${i}` }));
    await ctx.checks.putMany([{ ...template, intervalMs: 60_000 }, ...bulk]);
    await eventually(() => catalog.size() === 1_501, 5_000, 'every bulk check in the catalog');
    expect(catalog.get('web')?.intervalMs).toBe(60_000);
    expect(catalog.get('bulk-1499')?.id).toBe('bulk-1499');

    await ctx.checks.delete('bulk-7');
    await eventually(() => catalog.get('bulk-7') === undefined, 5_000, 'the deleted check gone');
  });

  it('reads the whole registry again only when its version counts a change the catalog did not hear', async () => {
    const { base, ctx, template } = await setup('catalog-missed');
    await ctx.checks.put(template);
    const catalog = await startCatalog(ctx, 50);
    await ctx.checks.put({ ...template, id: 'heard' });
    await eventually(() => catalog.get('heard') !== undefined, 5_000, 'the announced check');

    // Written behind the registry's back: no announcement, no version step, so no reload either.
    const quiet = { ...template, id: 'quiet' };
    await base.redis.hset(base.keys.checks, quiet.id, JSON.stringify(quiet));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(catalog.get('quiet')).toBeUndefined();

    // A change counted but never heard (a lost message): the next look reloads and finds both.
    await base.redis.incr(base.keys.checksVersion);
    await eventually(() => catalog.get('quiet') !== undefined, 5_000, 'the reload after a missed change');
    expect(catalog.size()).toBe(3);
  });

  it('paces its insurance reload by what the last one took, and still reloads at once for a missed change', async () => {
    const { base, ctx, template } = await setup('catalog-paced');
    await ctx.checks.put(template);
    /** A registry whose full read takes 40 ms (a million checks' takes minutes), counting the reads. */
    class SlowRegistry extends CheckRegistry {
      reads = 0;
      override async list() {
        this.reads += 1;
        await new Promise((resolve) => setTimeout(resolve, 40));
        return super.list();
      }
    }
    const registry = new SlowRegistry({ redis: base.redis, keys: base.keys });
    const catalog = new CheckCatalog({ ...ctx, checks: registry });
    // Insurance asked for at every look (every 20 ms): the last read's 40 ms make it wait 4 s.
    await catalog.start({ checkEveryMs: 20, fullReloadEveryMs: 0 });
    cleanups.push(() => catalog.close());
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(registry.reads).toBe(1);

    // A change counted but never heard is read at once, whatever the pace.
    const quiet = { ...template, id: 'quiet' };
    await base.redis.hset(base.keys.checks, quiet.id, JSON.stringify(quiet));
    await base.redis.incr(base.keys.checksVersion);
    await eventually(() => catalog.get('quiet') !== undefined, 1_000, 'the reload after a missed change');
    expect(registry.reads).toBe(2);
  });

  it('reloads at the next look when reading a heard change failed, so a pause and a delete are not missed', async () => {
    const { base, ctx, template } = await setup('catalog-failed');
    await ctx.checks.putMany([template, { ...template, id: 'doomed' }]);
    // The catalog reads on a connection of its own, which the test cuts while a change is announced.
    const reading = base.redis.duplicate();
    cleanups.push(async () => {
      reading.disconnect();
    });
    const catalog = await startCatalog({ ...ctx, checks: new CheckRegistry({ redis: reading, keys: base.keys }) }, 50);
    expect(catalog.get('web')?.paused).toBe(false);

    reading.disconnect();
    await ctx.checks.setPaused('web', true);
    await ctx.checks.delete('doomed');
    await new Promise((resolve) => setTimeout(resolve, 300)); // heard, and the reads failed
    await reading.connect();
    await eventually(() => catalog.get('web')?.paused === true, 3_000, 'the pause seen by the next look');
    await eventually(() => catalog.get('doomed') === undefined, 3_000, 'the deleted check gone');
  });

  it('throws when the registry cannot be read for checks it does not have, rather than calling them unknown', async () => {
    const { base, ctx, template } = await setup('catalog-lookup');
    await ctx.checks.put(template);
    const reading = base.redis.duplicate();
    cleanups.push(async () => {
      reading.disconnect();
    });
    const catalog = await startCatalog(
      { ...ctx, checks: new CheckRegistry({ redis: reading, keys: base.keys }) },
      3_600_000,
    );
    await base.redis.hset(base.keys.checks, 'quiet', JSON.stringify({ ...template, id: 'quiet' }));
    reading.disconnect();
    await expect(catalog.fetchMany(['web', 'quiet'])).rejects.toThrow(/could not read 1 checks from the registry/);
    await reading.connect();
    const found = await catalog.fetchMany(['web', 'quiet', 'gone']);
    expect([...found.keys()].sort()).toEqual(['quiet', 'web']);
  });
});
