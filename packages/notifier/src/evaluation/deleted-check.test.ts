import { type Clock, parseConfig, readUptime } from '@vigil/core';
import { eventually, roundResult, T0, testContext } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { IncidentDesk } from '../incidents/incident-desk.js';
import { LatencyAggregator } from '../latency/latency-aggregator.js';
import { testNotifierContext } from '../testing.js';
import { CheckCatalog } from './check-catalog.js';
import { Evaluator } from './evaluator.js';
import { VantageHealth } from './vantage-health.js';

const config = parseConfig(`
vantages: [alpha, beta]
defaults: { interval: 30s, timeout: 10s, confirmations: 2 }
checks:
  - { id: blog, name: Blog, http: { url: "https://blog.example.com/" } }
`);
const INTERVAL = 30_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One notifier's evaluation, wired as `Notifier` wires it (a started catalog, latency sums forgotten with a check). */
async function notifier() {
  let now = T0;
  const clock: Clock = { now: () => now };
  const base = await testContext('deleted-check', { clock });
  cleanups.push(base.cleanup);
  const ctx = testNotifierContext(base, { config });
  for (const check of config.checks) await ctx.checks.put(check);
  const catalog = new CheckCatalog(ctx);
  await catalog.start({ checkEveryMs: 3_600_000 });
  cleanups.push(() => catalog.close());
  const evaluator = new Evaluator(ctx, {
    catalog,
    desk: new IncidentDesk(ctx, { catalog }),
    health: new VantageHealth(ctx),
  });
  const latency = new LatencyAggregator(ctx);
  catalog.onGone((id) => latency.forget(id));
  /** Round `k` of blog from both vantages, recorded as the recorder does, its latency summed. */
  const feed = async (k: number, ok: boolean) => {
    now = T0 + k * INTERVAL + 1_000;
    const batch = ['alpha', 'beta'].map((vantage) => ({
      result: roundResult('blog', vantage, T0 + k * INTERVAL, ok),
      intervalMs: INTERVAL,
    }));
    const outcomes = await evaluator.recordAndDecide(batch);
    latency.add(batch.filter((_, i) => outcomes[i] !== 'duplicate'));
    return outcomes;
  };
  return { ctx, catalog, latency, feed, now: () => now };
}

describe('a check deleted while its rounds are in flight', () => {
  it('records nothing of a result arriving after the delete, and merges none of its latency sums', async () => {
    const { ctx, catalog, latency, feed, now } = await notifier();
    expect(await feed(0, false)).toEqual(['latest', 'latest']);
    expect(await feed(1, false)).toEqual(['latest', 'latest']);
    expect(Object.keys(await ctx.results.latest('blog')).sort()).toEqual(['alpha', 'beta']);
    expect((await ctx.checkStates.get('blog')).state).toBe('down');

    await ctx.checks.delete('blog');
    await eventually(() => catalog.get('blog') === undefined, 10_000, 'the catalog to hear the delete');
    // A round probed before the delete reports after it: dropped, not written back.
    expect(await feed(2, true)).toEqual(['duplicate', 'duplicate']);
    await latency.flush();

    expect(await ctx.results.latest('blog')).toEqual({});
    expect(await ctx.results.history('blog')).toEqual([]);
    expect((await ctx.checkStates.get('blog')).state).not.toBe('down');
    expect((await readUptime(ctx, 'blog', now()))['24h'].rounds).toBe(0);
    expect(await ctx.redis.exists(ctx.keys.latencyRollup('blog'))).toBe(0);
  });
});
