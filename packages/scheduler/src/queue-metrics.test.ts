import { probeQueueName, processMetrics, RESULT_STREAM_GROUP } from '@vigil/core';
import { addResultBatch, sampleResult, type TestContext, testContext } from '@vigil/core/testing';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueDepths } from './queue-metrics.js';
import { createSchedulerContext } from './scheduler-context.js';

describe('QueueDepths', () => {
  let ctx: TestContext;
  let depths: QueueDepths;
  let probes: Queue;
  beforeEach(async () => {
    ctx = await testContext('queue-depth');
    depths = new QueueDepths(createSchedulerContext(ctx, { vantages: ['alpha'] }));
    probes = new Queue(probeQueueName('alpha'), { connection: ctx.redis, prefix: ctx.prefix });
    await probes.waitUntilReady();
  });
  afterEach(async () => {
    await depths.close();
    await probes.close();
    await ctx.cleanup();
  });

  it('reports each queue by state, read from Redis at scrape time', async () => {
    await probes.addBulk([
      { name: 'probe', data: {} },
      { name: 'probe', data: {}, opts: { priority: 5 } },
      { name: 'probe', data: {}, opts: { delay: 60_000 } },
    ]);
    // Two result batches, one of them read by a notifier that has not acknowledged it yet.
    const batch = [{ result: sampleResult(), intervalMs: 30_000 }];
    const stream = ctx.keys.resultStream(0);
    await ctx.redis.xgroup('CREATE', stream, RESULT_STREAM_GROUP, '0', 'MKSTREAM');
    await addResultBatch(ctx.redis, ctx.keys, batch);
    await addResultBatch(ctx.redis, ctx.keys, batch);
    await ctx.redis.xreadgroup('GROUP', RESULT_STREAM_GROUP, 'notifier-1', 'COUNT', 1, 'STREAMS', stream, '>');
    const text = await processMetrics().metrics();
    expect(text).toContain('vigil_queue_depth{queue="probe.alpha",state="waiting"} 2');
    expect(text).toContain('vigil_queue_depth{queue="probe.alpha",state="delayed"} 1');
    expect(text).toContain('vigil_queue_depth{queue="probe.alpha",state="active"} 0');
    expect(text).toContain('vigil_queue_depth{queue="results",state="waiting"} 1');
    expect(text).toContain('vigil_queue_depth{queue="results",state="active"} 1');
  });

  it('stops reporting once closed', async () => {
    await depths.close();
    expect(await processMetrics().metrics()).not.toContain('vigil_queue_depth{');
  });
});
