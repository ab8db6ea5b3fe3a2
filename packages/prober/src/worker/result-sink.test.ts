import { resultBatchesIn, sampleResult, type TestContext, testContext } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResultSink } from './result-sink.js';

const HOUR = 3_600_000;

describe('ResultSink', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await testContext('result-sink');
  });
  afterEach(async () => {
    await ctx.cleanup();
  });

  /** The checks of every batch waiting in the result stream, oldest batch first. */
  async function batches(): Promise<string[][]> {
    const sent = await resultBatchesIn(ctx.redis, ctx.keys);
    return sent.map((batch) => batch.map(({ result }) => result.checkId));
  }

  const send = (sink: ResultSink, checkId: string) =>
    sink.send({ result: sampleResult({ checkId }), intervalMs: 5_000 });

  it('sends the results of one window as one batch, and each send resolves once it is in Redis', async () => {
    const sink = new ResultSink(ctx.connection, ctx.keys, { maxSize: 200, maxWaitMs: 100 });
    try {
      const ids = ['a', 'b', 'c', 'd', 'e'];
      await Promise.all(ids.map((id) => send(sink, id)));
      expect(await batches()).toEqual([ids]);
    } finally {
      await sink.close();
    }
  });

  it('sends a full batch without waiting for the window', async () => {
    const sink = new ResultSink(ctx.connection, ctx.keys, { maxSize: 3, maxWaitMs: HOUR });
    try {
      await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((id) => send(sink, id)));
      expect(await batches()).toEqual([
        ['a', 'b', 'c'],
        ['d', 'e', 'f'],
      ]);
    } finally {
      await sink.close();
    }
  });

  it('flush() sends what is pending at once', async () => {
    const sink = new ResultSink(ctx.connection, ctx.keys, { maxSize: 200, maxWaitMs: HOUR });
    try {
      const sent = Promise.all([send(sink, 'a'), send(sink, 'b')]);
      sink.flush();
      await sent;
      expect(await batches()).toEqual([['a', 'b']]);
    } finally {
      await sink.close();
    }
  });

  it('close() sends what is pending, and after hurry() nothing waits for the window', async () => {
    const sink = new ResultSink(ctx.connection, ctx.keys, { maxSize: 200, maxWaitMs: HOUR });
    const pending = send(sink, 'a');
    sink.hurry();
    await pending;
    await send(sink, 'b');
    const last = send(sink, 'c');
    await sink.close();
    await last;
    expect(await batches()).toEqual([['a'], ['b'], ['c']]);
  });

  it('fails the sends of a batch Redis refused, so their probe jobs are not completed', async () => {
    // A stream key holding a string: XADD answers WRONGTYPE, as it would any write Redis refuses.
    await ctx.redis.set(ctx.keys.resultStream(0), 'not a stream');
    const sink = new ResultSink(ctx.connection, ctx.keys, { maxSize: 2, maxWaitMs: HOUR });
    try {
      const sent = Promise.allSettled([send(sink, 'a'), send(sink, 'b')]);
      expect((await sent).map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    } finally {
      await sink.close();
    }
  });
});
