import { probeQueueName, processMetrics, RESULTS_QUEUE } from '@vigil/core';
import { type TestContext, testContext } from '@vigil/core/testing';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueDepths } from './queue-metrics.js';
import { createSchedulerContext } from './scheduler-context.js';

describe('QueueDepths', () => {
  let ctx: TestContext;
  let depths: QueueDepths;
  let probes: Queue;
  let results: Queue;
  beforeEach(async () => {
    ctx = await testContext('queue-depth');
    depths = new QueueDepths(createSchedulerContext(ctx, { vantages: ['alpha'] }));
    probes = new Queue(probeQueueName('alpha'), { connection: ctx.redis, prefix: ctx.prefix });
    results = new Queue(RESULTS_QUEUE, { connection: ctx.redis, prefix: ctx.prefix });
    await Promise.all([probes.waitUntilReady(), results.waitUntilReady()]);
  });
  afterEach(async () => {
    await depths.close();
    await Promise.all([probes.close(), results.close()]);
    await ctx.cleanup();
  });

  it('reports each queue by state, read from Redis at scrape time', async () => {
    await probes.addBulk([
      { name: 'probe', data: {} },
      { name: 'probe', data: {}, opts: { priority: 5 } },
      { name: 'probe', data: {}, opts: { delay: 60_000 } },
    ]);
    await results.add('results', {});
    const text = await processMetrics().metrics();
    expect(text).toContain('vigil_queue_depth{queue="probe.alpha",state="waiting"} 2');
    expect(text).toContain('vigil_queue_depth{queue="probe.alpha",state="delayed"} 1');
    expect(text).toContain('vigil_queue_depth{queue="probe.alpha",state="active"} 0');
    expect(text).toContain('vigil_queue_depth{queue="results",state="waiting"} 1');
  });

  it('stops reporting once closed', async () => {
    await depths.close();
    expect(await processMetrics().metrics()).not.toContain('vigil_queue_depth{');
  });
});
