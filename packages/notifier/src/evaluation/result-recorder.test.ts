import { Writable } from 'node:stream';
import { createLogger, createRedis, RESULTS_QUEUE, type ResultBatchData } from '@vigil/core';
import { eventually, sampleResult, TEST_REDIS_URL, type TestContext, testContext } from '@vigil/core/testing';
import { Queue, QueueEvents } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotifierContext } from '../notifier-context.js';
import { testNotifierContext } from '../testing.js';
import { type BatchOutcome, ResultRecorder } from './result-recorder.js';

const result = sampleResult;

describe('ResultRecorder', () => {
  let base: TestContext;
  let ctx: NotifierContext;
  let queue: Queue<ResultBatchData>;
  let events: QueueEvents;
  let recorder: ResultRecorder;
  let logged: string[];
  let opened: ReturnType<typeof createRedis>[];
  const connections = () => {
    const connection = createRedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    opened.push(connection);
    return connection;
  };

  beforeEach(async () => {
    opened = [];
    logged = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString());
        done();
      },
    });
    base = await testContext('recorder', { log: createLogger({ level: 'warn', destination: sink }) });
    ctx = testNotifierContext(base);
    queue = new Queue<ResultBatchData>(RESULTS_QUEUE, { connection: connections(), prefix: base.prefix });
    events = new QueueEvents(RESULTS_QUEUE, { connection: connections(), prefix: base.prefix });
    await events.waitUntilReady();
    recorder = new ResultRecorder(ctx);
    await recorder.start();
  });
  afterEach(async () => {
    await recorder.close();
    await events.close();
    await queue.close();
    for (const connection of opened) connection.disconnect();
    await base.cleanup();
  });

  async function deliver(data: unknown): Promise<BatchOutcome> {
    const job = await queue.add('results', data as ResultBatchData);
    return (await job.waitUntilFinished(events, 5_000)) as BatchOutcome;
  }

  it('records every result of a batch once, however often the batch arrives', async () => {
    const batch = [result(), result({ vantage: 'beta', ok: false, error: 'timeout' })].map((r) => ({
      result: r,
      intervalMs: 30_000,
    }));
    expect(await deliver({ results: batch })).toEqual({ recorded: 2, duplicates: 0, invalid: 0 });
    expect(await deliver({ results: batch })).toEqual({ recorded: 0, duplicates: 2, invalid: 0 });
    const store = ctx.results;
    expect(await store.history('api')).toHaveLength(2);
    expect(Object.keys(await store.latest('api')).sort()).toEqual(['alpha', 'beta']);
  });

  it('keeps the valid results of a batch with a bad entry, and names the bad field in the log', async () => {
    const outcome = await deliver({
      results: [
        { result: result(), intervalMs: 30_000 },
        { result: { ...result({ vantage: 'beta' }), round: 'yesterday' }, intervalMs: 30_000 },
        { result: result({ vantage: 'gamma' }), intervalMs: -1 },
      ],
    });
    expect(outcome).toEqual({ recorded: 1, duplicates: 0, invalid: 2 });
    await eventually(async () => logged.length > 0, 2_000, 'a warning');
    const line = logged.join('');
    expect(line).toContain('results[1].result.round');
    expect(line).toContain('results[2].intervalMs: expected a positive number of milliseconds');
  });

  it('fails a batch with nothing valid in it, saying why, and records nothing', async () => {
    await expect(deliver({ results: [{ result: { checkId: '' }, intervalMs: 30_000 }] })).rejects.toThrow(
      /invalid result batch: results\[0\]\.result\.checkId/,
    );
    await expect(deliver({ result: result() })).rejects.toThrow(/results: expected an array of 1 to 500 results/);
    const store = ctx.results;
    expect(await store.history('api')).toHaveLength(0);
  });
});
