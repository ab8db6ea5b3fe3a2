import { spawnSync } from 'node:child_process';
import { parseConfig, processMetrics } from '@vigil/core';
import { T0, type TestContext, testContext } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VantageHealth } from './evaluation/vantage-health.js';
import { countPage, observeEvaluatorLag, watchOpenIncidents } from './notifier-metrics.js';
import { testNotifierContext } from './testing.js';

const config = parseConfig('vantages: [alpha, beta]');

describe('notifier metrics', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await testContext('notifier-metrics');
  });
  afterEach(async () => {
    await ctx.cleanup();
  });

  it('counts open incidents from Redis at scrape time', async () => {
    const { keys } = ctx;
    const unwatch = watchOpenIncidents(ctx);
    await ctx.redis.zadd(keys.incidentsOpen, 1, 'inc-1', 2, 'inc-2');
    expect(await processMetrics().metrics()).toContain('vigil_incidents_open 2\n');
    await ctx.redis.zrem(keys.incidentsOpen, 'inc-1');
    expect(await processMetrics().metrics()).toContain('vigil_incidents_open 1\n');
    unwatch();
  });

  it('reports a silent vantage as down and a heard one as up', async () => {
    const { keys } = ctx;
    const clock = { t: T0, now: (): number => clock.t };
    const health = new VantageHealth(testNotifierContext({ ...ctx, clock }, { config }));
    clock.t = T0 + config.notifier.vantages.silentAfter + 60_000;
    await ctx.redis.hset(keys.vantageHeartbeats, 'alpha', clock.t);
    await health.tick();
    const text = await processMetrics().metrics();
    expect(text).toContain('vigil_vantage_up{vantage="alpha"} 1');
    expect(text).toContain('vigil_vantage_up{vantage="beta"} 0');
    expect(text).toContain('vigil_vantage_impaired{vantage="alpha"} 0');
  });

  it('exposes text that promtool accepts', async () => {
    observeEvaluatorLag(T0, T0 + 1_500);
    countPage('email', 'sent');
    countPage('webhook', 'failed');
    const text = await processMetrics().metrics();
    expect(text).toContain('vigil_evaluator_lag_seconds_bucket{le="2.5"} 1');
    expect(text).toContain('vigil_pages_total{channel="webhook",result="failed"} 1');
    const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.stderr + check.stdout).toBe('');
    expect(check.status).toBe(0);
  });
});
