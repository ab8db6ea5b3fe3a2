import { Writable } from 'node:stream';
import { createLogger, processMetrics, RESULTS_QUEUE, type ResultJobData, resultBacklog } from '@vigil/core';
import { addResultBatch, eventually, sampleResult, type TestContext, testContext } from '@vigil/core/testing';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotifierContext } from '../notifier-context.js';
import { testNotifierContext } from '../testing.js';
import { ResultRecorder, type ResultRecorderOptions } from './result-recorder.js';

const result = sampleResult;

describe('ResultRecorder', () => {
  let base: TestContext;
  let ctx: NotifierContext;
  let logged: string[];
  /** What the recorders of the test did with each result. */
  let tally: { recorded: number; duplicates: number };
  const recorders: ResultRecorder[] = [];
  /** Lets the test's doomed recorders answer, so they close even when the test failed. */
  const revivals: (() => void)[] = [];

  beforeEach(async () => {
    logged = [];
    tally = { recorded: 0, duplicates: 0 };
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString());
        done();
      },
    });
    base = await testContext('recorder', { log: createLogger({ level: 'warn', destination: sink }) });
    ctx = testNotifierContext(base);
  });
  afterEach(async () => {
    for (const revive of revivals.splice(0)) revive();
    for (const recorder of recorders.splice(0)) await recorder.close();
    await base.cleanup();
  });

  /** A started recorder that tallies what it records (on a notifier process of its own when `peer`). */
  async function startRecorder(options: ResultRecorderOptions = {}, peer = false): Promise<ResultRecorder> {
    const recorder = new ResultRecorder(peer ? testNotifierContext(base.peer()) : ctx, {
      onRecorded: (_data, outcome) => {
        if (outcome === 'duplicate') tally.duplicates++;
        else tally.recorded++;
      },
      ...options,
    });
    recorders.push(recorder);
    await recorder.start();
    return recorder;
  }

  /** Nothing left in the result stream that a notifier has not recorded and acknowledged. */
  async function drained(): Promise<boolean> {
    const backlog = await resultBacklog(ctx.redis, ctx.keys);
    return backlog.waiting + backlog.pending === 0;
  }

  /** `vigil_results_dropped_total` for this reason, as a scrape shows it. */
  async function dropped(reason: string): Promise<number> {
    const metric = processMetrics().getSingleMetric('vigil_results_dropped_total');
    const values = metric ? (await metric.get()).values : [];
    return values.find((value) => value.labels.reason === reason)?.value ?? 0;
  }

  /** A recorder that reads what is added and never answers (a killed process); `revive` lets it close. */
  async function startDoomed(): Promise<{ doomed: ResultRecorder; wasRead: Promise<void>; revive: () => void }> {
    let read!: () => void;
    const wasRead = new Promise<void>((resolve) => {
      read = resolve;
    });
    let revive!: () => void;
    const dead = new Promise<never[]>((resolve) => {
      revive = () => resolve([]);
    });
    revivals.push(revive);
    const doomed = await startRecorder({
      record: () => {
        read();
        return dead;
      },
    });
    return { doomed, wasRead, revive };
  }

  /** Adds a batch to the result stream as a prober does and waits until a recorder has dealt with it. */
  async function deliver(results: unknown): Promise<{ recorded: number; duplicates: number }> {
    if (recorders.length === 0) await startRecorder();
    const before = { ...tally };
    await addResultBatch(ctx.redis, ctx.keys, results);
    await eventually(drained, 5_000, 'the batch recorded and acknowledged');
    return { recorded: tally.recorded - before.recorded, duplicates: tally.duplicates - before.duplicates };
  }

  it('records every result of a batch once, however often the batch arrives', async () => {
    const batch = [result(), result({ vantage: 'beta', ok: false, error: 'timeout' })].map((r) => ({
      result: r,
      intervalMs: 30_000,
    }));
    expect(await deliver(batch)).toEqual({ recorded: 2, duplicates: 0 });
    expect(await deliver(batch)).toEqual({ recorded: 0, duplicates: 2 });
    const store = ctx.results;
    expect(await store.history('api')).toHaveLength(2);
    expect(Object.keys(await store.latest('api')).sort()).toEqual(['alpha', 'beta']);
  });

  it('keeps the valid results of a batch with a bad entry, and names the bad field in the log', async () => {
    const outcome = await deliver([
      { result: result(), intervalMs: 30_000 },
      { result: { ...result({ vantage: 'beta' }), round: 'yesterday' }, intervalMs: 30_000 },
      { result: result({ vantage: 'gamma' }), intervalMs: -1 },
    ]);
    expect(outcome).toEqual({ recorded: 1, duplicates: 0 });
    await eventually(async () => logged.length > 0, 2_000, 'a warning');
    const line = logged.join('');
    expect(line).toContain('results[1].result.round');
    expect(line).toContain('results[2].intervalMs: expected a positive number of milliseconds');
  });

  it('drops a batch with nothing valid in it, saying why, and records nothing', async () => {
    expect(await deliver([{ result: { checkId: '' }, intervalMs: 30_000 }])).toEqual({ recorded: 0, duplicates: 0 });
    expect(await deliver({ result: result() })).toEqual({ recorded: 0, duplicates: 0 });
    const line = logged.join('');
    expect(line).toMatch(/invalid result batch: results\[0\]\.result\.checkId/);
    expect(line).toContain('results: expected an array of 1 to 500 results');
    expect(await ctx.results.history('api')).toHaveLength(0);
  });

  it('records small batches read together in one recording, and rejects a bad one among them alone', async () => {
    const one = (vantage: string) => [{ result: result({ vantage }), intervalMs: 30_000 }];
    // Waiting before the recorder starts, so one read takes them all (as a Cluster's per-shard entries pile up).
    await addResultBatch(ctx.redis, ctx.keys, one('alpha'));
    await addResultBatch(ctx.redis, ctx.keys, { result: result({ vantage: 'beta' }) });
    await addResultBatch(ctx.redis, ctx.keys, one('gamma'));
    await addResultBatch(ctx.redis, ctx.keys, one('delta'));
    const recordings: number[] = [];
    await startRecorder({
      record: (taken) => {
        recordings.push(taken.length);
        return ctx.results.recordMany(taken);
      },
    });
    await eventually(drained, 5_000, 'every entry recorded or rejected, and acknowledged');
    expect(tally).toEqual({ recorded: 3, duplicates: 0 });
    expect(recordings.length).toBeLessThan(3);
    expect((await ctx.results.history('api')).map((entry) => entry.vantage).sort()).toEqual([
      'alpha',
      'delta',
      'gamma',
    ]);
    expect(logged.join('')).toContain('results: expected an array of 1 to 500 results');
  });

  it('waits for each vantage’s batch of a slot arriving apart, and records them in one recording of up to 600', async () => {
    const slot = (vantage: string) =>
      Array.from({ length: 200 }, (_, i) => ({
        result: result({ checkId: `site-${i}`, vantage }),
        intervalMs: 30_000,
      }));
    const recordings: number[] = [];
    await startRecorder({
      record: (taken) => {
        recordings.push(taken.length);
        return ctx.results.recordMany(taken);
      },
    });
    // Each prober sends on its own flush timer: the batches come 100 ms apart, each a full 200.
    for (const vantage of ['alpha', 'beta', 'gamma']) {
      await addResultBatch(ctx.redis, ctx.keys, slot(vantage));
      await new Promise((wake) => setTimeout(wake, 100));
    }
    await eventually(drained, 5_000, 'the three batches recorded and acknowledged');
    expect(tally).toEqual({ recorded: 600, duplicates: 0 });
    expect(recordings).toEqual([600]);
    expect(Object.keys(await ctx.results.latest('site-199')).sort()).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('never merges a valid entry into one too long to accept: the long one is rejected alone', async () => {
    const many = (count: number, vantage: string) =>
      Array.from({ length: count }, (_, i) => ({
        result: result({ checkId: `site-${i}`, vantage }),
        intervalMs: 30_000,
      }));
    await addResultBatch(ctx.redis, ctx.keys, many(550, 'alpha'));
    await addResultBatch(ctx.redis, ctx.keys, many(20, 'beta'));
    await startRecorder();
    await eventually(drained, 5_000, 'both entries dealt with');
    expect(tally).toEqual({ recorded: 20, duplicates: 0 });
    expect(Object.keys(await ctx.results.latest('site-0'))).toEqual(['beta']);
    expect(logged.join('')).toContain('results: expected an array of 1 to 500 results');
  });

  it('records the good entries merged with one that cannot be recorded, one by one, and keeps that one pending', async () => {
    const one = (checkId: string) => [{ result: result({ checkId }), intervalMs: 30_000 }];
    await addResultBatch(ctx.redis, ctx.keys, one('good-1'));
    await addResultBatch(ctx.redis, ctx.keys, one('broken'));
    await addResultBatch(ctx.redis, ctx.keys, one('good-2'));
    const recordings: number[] = [];
    await startRecorder({
      record: (taken) => {
        recordings.push(taken.length);
        if (taken.some((data) => data.result.checkId === 'broken')) throw new Error('a malformed stored value');
        return ctx.results.recordMany(taken);
      },
    });
    await eventually(async () => tally.recorded === 2, 5_000, 'the two good results recorded');
    expect(recordings.slice(0, 4)).toEqual([3, 1, 1, 1]);
    expect(await resultBacklog(ctx.redis, ctx.keys)).toEqual({ waiting: 0, pending: 1 });
    expect(Object.keys(await ctx.results.latest('broken'))).toEqual([]);
  });

  it('records a read of more than 600 results cut by check, and a failed cut’s parts entry by entry', async () => {
    const many = (vantage: string, prefix: string, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        result: result({ checkId: `${prefix}-${String(i).padStart(3, '0')}`, vantage }),
        intervalMs: 30_000,
      }));
    await addResultBatch(ctx.redis, ctx.keys, many('alpha', 'site', 300));
    await addResultBatch(ctx.redis, ctx.keys, many('beta', 'site', 300));
    // A third prober's batch holds one check whose stored values are broken (every recording of it fails).
    await addResultBatch(ctx.redis, ctx.keys, [...many('gamma', 'broken', 1), ...many('gamma', 'other', 299)]);
    const recordings: string[][] = [];
    await startRecorder({
      record: (taken) => {
        recordings.push(taken.map((data) => `${data.result.checkId}/${data.result.vantage}`));
        if (taken.some((data) => data.result.checkId === 'broken-000')) throw new Error('a malformed stored value');
        return ctx.results.recordMany(taken);
      },
    });
    await eventually(async () => tally.recorded === 600, 5_000, 'alpha’s and beta’s results recorded');
    await eventually(
      async () => (await resultBacklog(ctx.redis, ctx.keys)).pending === 1,
      5_000,
      'only the broken batch left pending',
    );
    // Cut by check: each of alpha's and beta's checks was in one recording with both vantages.
    const [first, second] = recordings;
    expect([first?.length, second?.length]).toEqual([600, 300]);
    for (const i of [0, 149, 150, 299]) {
      const check = `site-${String(i).padStart(3, '0')}`;
      expect(
        recordings.slice(0, 2).filter((taken) => taken.includes(`${check}/alpha`) && taken.includes(`${check}/beta`)),
      ).toHaveLength(1);
    }
    // The failed cut's parts tried entry by entry: alpha's and beta's (the 150 checks each it held)
    // recorded, nothing sent twice; the broken one's kept pending.
    expect(recordings.slice(2)).toEqual([
      Array.from({ length: 150 }, (_, i) => `site-${String(i).padStart(3, '0')}/alpha`),
      Array.from({ length: 150 }, (_, i) => `site-${String(i).padStart(3, '0')}/beta`),
      ['broken-000/gamma', ...Array.from({ length: 299 }, (_, i) => `other-${String(i).padStart(3, '0')}/gamma`)],
    ]);
    expect(tally).toEqual({ recorded: 600, duplicates: 0 });
    expect(Object.keys(await ctx.results.latest('site-299')).sort()).toEqual(['alpha', 'beta']);
    expect(Object.keys(await ctx.results.latest('other-000'))).toEqual([]);
  });

  it('records a check of more than 600 results in recordings one after the other, its rounds in turn', async () => {
    const rounds = (from: number) =>
      Array.from({ length: 400 }, (_, i) => ({
        result: result({ checkId: 'busy', vantage: 'alpha', round: 1_000_000 + (from + i) * 1_000 }),
        intervalMs: 1_000,
      }));
    await addResultBatch(ctx.redis, ctx.keys, rounds(0));
    await addResultBatch(ctx.redis, ctx.keys, rounds(400));
    const calls: { size: number; first: number }[] = [];
    let inFlight = 0;
    let most = 0;
    await startRecorder({
      record: async (taken) => {
        inFlight++;
        most = Math.max(most, inFlight);
        calls.push({ size: taken.length, first: taken[0]?.result.round ?? 0 });
        await new Promise((wake) => setTimeout(wake, 50));
        try {
          return await ctx.results.recordMany(taken);
        } finally {
          inFlight--;
        }
      },
    });
    await eventually(drained, 5_000, 'both entries recorded and acknowledged');
    expect(calls).toEqual([
      { size: 600, first: 1_000_000 },
      { size: 200, first: 1_000_000 + 600 * 1_000 },
    ]);
    expect(most).toBe(1);
    expect(tally).toEqual({ recorded: 800, duplicates: 0 });
  });

  it('records a batch alone when told not to wait (lingerMs 0)', async () => {
    const recordings: number[] = [];
    await startRecorder({
      lingerMs: 0,
      record: (taken) => {
        recordings.push(taken.length);
        return ctx.results.recordMany(taken);
      },
    });
    for (const vantage of ['alpha', 'beta']) {
      await addResultBatch(ctx.redis, ctx.keys, [{ result: result({ vantage }), intervalMs: 30_000 }]);
      await eventually(drained, 5_000, 'the batch recorded');
    }
    expect(recordings).toEqual([1, 1]);
  });

  it.each([
    ['after recording it', true],
    ['before recording it', false],
  ])(
    'a batch read by a notifier that dies %s, unacknowledged, is recorded by another, once',
    async (_, recordFirst) => {
      const batch: ResultJobData[] = ['alpha', 'beta', 'gamma'].map((vantage) => ({
        result: result({ vantage }),
        intervalMs: 30_000,
      }));
      let read!: () => void;
      const wasRead = new Promise<void>((resolve) => {
        read = resolve;
      });
      let revive!: () => void;
      const dead = new Promise<never[]>((resolve) => {
        revive = () => resolve([]);
      });
      // The first notifier takes the batch and then never answers again: a process killed mid-batch.
      const doomed = await startRecorder({
        record: async (taken) => {
          if (recordFirst) await ctx.results.recordMany(taken);
          read();
          return dead;
        },
      });
      await addResultBatch(ctx.redis, ctx.keys, batch);
      await wasRead;
      expect(await resultBacklog(ctx.redis, ctx.keys)).toEqual({ waiting: 0, pending: 1 });
      await startRecorder({ claimIdleMs: 200 }, true);
      await eventually(drained, 5_000, 'the abandoned batch taken over and acknowledged');
      expect((await ctx.results.history('api')).map((entry) => entry.vantage).sort()).toEqual([
        'alpha',
        'beta',
        'gamma',
      ]);
      expect(tally).toEqual(recordFirst ? { recorded: 0, duplicates: 3 } : { recorded: 3, duplicates: 0 });
      revive();
      await doomed.close();
    },
  );

  it('records batches again after Redis lost the stream and its group under a running recorder', async () => {
    const one = (vantage: string) => [{ result: result({ vantage }), intervalMs: 30_000 }];
    expect(await deliver(one('alpha'))).toEqual({ recorded: 1, duplicates: 0 });
    // A Redis restart without persistence, a failover, a manual DEL: the prober's next XADD makes a bare stream.
    await ctx.redis.del(ctx.keys.resultStream(0));
    await addResultBatch(ctx.redis, ctx.keys, one('beta'));
    await eventually(async () => tally.recorded === 2, 10_000, 'the batch added after the loss recorded');
    expect((await ctx.results.history('api')).map((entry) => entry.vantage).sort()).toEqual(['alpha', 'beta']);
  });

  it.each([60_000, 3_600_000, 0, Number.NaN])('refuses claimIdleMs %s, naming the option', (claimIdleMs) => {
    expect(() => new ResultRecorder(ctx, { claimIdleMs })).toThrow(/^claimIdleMs: expected .* below 60000/);
  });

  it('takes over abandoned batches behind one that keeps failing', async () => {
    const { doomed, wasRead, revive } = await startDoomed();
    await addResultBatch(ctx.redis, ctx.keys, [{ result: result({ vantage: 'alpha' }), intervalMs: 30_000 }]);
    await addResultBatch(ctx.redis, ctx.keys, [{ result: result({ vantage: 'beta' }), intervalMs: 30_000 }]);
    await wasRead;
    await eventually(async () => (await resultBacklog(ctx.redis, ctx.keys)).pending === 2, 5_000, 'both read');
    await startRecorder(
      {
        concurrency: 1,
        claimIdleMs: 200,
        record: async (taken) => {
          if (taken.some((data) => data.result.vantage === 'alpha')) throw new Error('alpha fails');
          return ctx.results.recordMany(taken);
        },
      },
      true,
    );
    await eventually(async () => (await ctx.results.history('api')).length === 1, 8_000, 'beta taken over');
    expect((await ctx.results.history('api')).map((entry) => entry.vantage)).toEqual(['beta']);
    revive();
    await doomed.close();
  });

  it('counts and logs pending batches the stream cap trimmed away', async () => {
    const { doomed, wasRead, revive } = await startDoomed();
    await addResultBatch(ctx.redis, ctx.keys, [{ result: result(), intervalMs: 30_000 }]);
    await wasRead;
    await ctx.redis.xtrim(ctx.keys.resultStream(0), 'MAXLEN', 0);
    const before = await dropped('trimmed');
    await startRecorder({ claimIdleMs: 200 }, true);
    await eventually(async () => (await dropped('trimmed')) === before + 1, 8_000, 'the trimmed batch counted');
    expect(logged.join('')).toContain('trimmed from the stream before recording');
    revive();
    await doomed.close();
  });

  it('drops a batch whose recording fails at every delivery, naming its entry, and goes on with the others', async () => {
    const before = await dropped('poison');
    await startRecorder({
      maxDeliveries: 2,
      claimIdleMs: 100,
      record: async (taken) => {
        if (taken.some((data) => data.result.vantage === 'alpha')) throw new Error('alpha fails');
        return ctx.results.recordMany(taken);
      },
    });
    const poison = await addResultBatch(ctx.redis, ctx.keys, [
      { result: result({ vantage: 'alpha' }), intervalMs: 30_000 },
    ]);
    await eventually(drained, 15_000, 'the poison batch dropped');
    expect(await dropped('poison')).toBe(before + 1);
    expect(logged.join('')).toContain(poison);
    expect(logged.join('')).toContain('dropped as poison');
    expect(await deliver([{ result: result({ vantage: 'beta' }), intervalMs: 30_000 }])).toEqual({
      recorded: 1,
      duplicates: 0,
    });
  });

  it('leaves the group on close when it holds nothing pending, so consumers do not pile up', async () => {
    const consumers = async () =>
      ((await ctx.redis.xinfo('CONSUMERS', ctx.keys.resultStream(0), 'recorders')) as unknown[]).length;
    const recorder = await startRecorder();
    expect(await deliver([{ result: result(), intervalMs: 30_000 }])).toEqual({ recorded: 1, duplicates: 0 });
    expect(await consumers()).toBe(1);
    await recorder.close();
    expect(await consumers()).toBe(0);
  });

  it('records the batches an older prober left in the BullMQ results queue', async () => {
    const old = new Queue(RESULTS_QUEUE, { connection: base.connection, prefix: ctx.keys.queuePrefix(RESULTS_QUEUE) });
    try {
      await old.add('results', { results: [{ result: result(), intervalMs: 30_000 }] });
      await old.add('results', { results: [{ result: result({ vantage: 'beta' }), intervalMs: 30_000 }] });
      await startRecorder();
      await eventually(async () => tally.recorded === 2, 10_000, 'both old batches recorded');
      expect((await ctx.results.history('api')).map((entry) => entry.vantage).sort()).toEqual(['alpha', 'beta']);
    } finally {
      await old.close();
    }
  });
});
