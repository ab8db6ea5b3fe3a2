import { httpSpecSchema, type ProbeJobData, type ProbeResult, type ProbeTarget, probeQueueName } from '@vigil/core';
import { eventually, resultBatchesIn, type TestContext, testContext } from '@vigil/core/testing';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProberContext } from '../prober-context.js';
import { type ProbeFunction, ProbeWorker, type ProbeWorkerOptions } from './probe-worker.js';

const VANTAGE = 'worker-alpha';

/** A result as a probe function that answers at once returns it. */
function answered(
  checkId: string,
  options: { vantage: string; round: number },
  rest: Pick<ProbeResult, 'timings'> & Partial<ProbeResult>,
): ProbeResult {
  const now = Date.now();
  return {
    checkId,
    vantage: options.vantage,
    round: options.round,
    startedAt: now,
    finishedAt: now,
    ok: true,
    ...rest,
  };
}

describe('ProbeWorker', () => {
  let base: TestContext;
  let probes: Queue<ProbeJobData>;
  let worker: ProbeWorker | undefined;
  beforeEach(async () => {
    base = await testContext('probe-worker');
    probes = new Queue(probeQueueName(VANTAGE), { connection: base.redis, prefix: base.prefix });
  });
  afterEach(async () => {
    await worker?.close();
    await probes.close();
    await base.cleanup();
  });

  /** A worker of this test's vantage on loopback, started (and closed after the test). */
  async function startWorker(options: ProbeWorkerOptions): Promise<ProbeWorker> {
    const started = new ProbeWorker(
      createProberContext(base.peer(), {
        vantage: { id: VANTAGE },
        config: { allowPrivateTargets: true, allowTargets: [], prober: { concurrency: 10, perHostConcurrency: 10 } },
      }),
      options,
    );
    worker = started;
    await started.start();
    return started;
  }

  it('runs each probe through the probe function it is given, and sends its result as a real one', async () => {
    // An address nothing listens on: only the injected function can make this probe succeed.
    const target: ProbeTarget = {
      id: 'api',
      kind: 'http',
      http: httpSpecSchema.parse({ url: 'http://127.0.0.1:9/' }),
      intervalMs: 30_000,
      timeoutMs: 2_000,
    };
    const asked: string[] = [];
    const probe: ProbeFunction = async (check, options) => {
      asked.push(`${check.id}@${options.vantage}`);
      return answered(check.id, options, { status: 200, timings: { total: 1 } });
    };
    worker = await startWorker({ probe });
    const round = Date.now();
    const job = await probes.add('probe', { check: target, vantage: VANTAGE, round });
    await eventually(async () => (await job.getState()) !== 'waiting' && (await job.getState()) !== 'active');
    expect(await job.getState()).toBe('completed');
    await worker.close();
    expect(asked).toEqual([`api@${VANTAGE}`]);
    const batches = await resultBatchesIn(base.redis, base.keys);
    const sent = batches.flatMap((batch) => batch.map(({ result }) => result));
    expect(sent).toEqual([expect.objectContaining({ checkId: 'api', vantage: VANTAGE, round, ok: true, status: 200 })]);
  });

  it('sends a batch as soon as none of its probes is left running, not when its window ends', async () => {
    // Jobs of one probe each fill the worker's concurrency, and each waits for its result to be safe:
    // with a window of a minute they would all wait it out unless the batch goes when nothing runs.
    const targets: ProbeTarget[] = Array.from({ length: 30 }, (_, i) => ({
      id: `api-${i}`,
      kind: 'http',
      http: httpSpecSchema.parse({ url: 'http://127.0.0.1:9/' }),
      intervalMs: 120_000,
      timeoutMs: 2_000,
    }));
    const probe: ProbeFunction = async (check, options) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return answered(check.id, options, { timings: { total: 5 } });
    };
    worker = await startWorker({ probe, resultBatching: { maxSize: 200, maxWaitMs: 60_000 } });
    const round = Date.now();
    await probes.addBulk(targets.map((check) => ({ name: 'probe', data: { check, vantage: VANTAGE, round } })));
    const batches = await eventually(
      async () => {
        const sent = await resultBatchesIn(base.redis, base.keys);
        return sent.flat().length === targets.length && sent;
      },
      10_000,
      'every result sent well within the minute-long window',
    );
    expect(batches.length).toBeLessThan(targets.length);
  });
});
