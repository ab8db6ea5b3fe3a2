import { createLogger, probeQueueName, processMetrics, RESULTS_QUEUE, redisKeys } from '@vigil/core';
import { testRedis } from '@vigil/core/testing';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueDepths } from './queue-metrics.js';

const log = createLogger({ level: 'silent' });

describe('QueueDepths', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let depths: QueueDepths;
  let probes: Queue;
  let results: Queue;
  beforeEach(async () => {
    ctx = await testRedis('queue-depth');
    depths = new QueueDepths({ connection: ctx.redis, keys: redisKeys(ctx.prefix), vantages: ['alpha'], log });
    probes = new Queue(probeQueueName('alpha'), { connection: ctx.redis, prefix: ctx.prefix });
    results = new Queue(RESULTS_QUEUE, { connection: ctx.redis, prefix: ctx.prefix });
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
