import { createLogger, createRedis, type ResultJobData, readUptime, resultBacklog, validateConfig } from '@vigil/core';
import {
  addResultBatch,
  countWrites,
  eventually,
  roundResult,
  T0,
  TEST_REDIS_URL,
  type TestContext,
  testContext,
} from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { IncidentDesk } from '../incidents/incident-desk.js';
import type { NotifierContext } from '../notifier-context.js';
import { testNotifierContext } from '../testing.js';
import { CheckCatalog } from './check-catalog.js';
import { Evaluator } from './evaluator.js';
import { ResultRecorder, type ResultRecorderOptions } from './result-recorder.js';
import { VantageHealth } from './vantage-health.js';

const VANTAGES = ['alpha', 'beta', 'gamma'] as const;
const INTERVAL = 30_000;
const CHECKS = 50;
const R = (k: number) => T0 + k * INTERVAL;
const ids = Array.from({ length: CHECKS }, (_, i) => `c${String(i).padStart(2, '0')}`);
const config = validateConfig(
  {
    vantages: [...VANTAGES],
    defaults: { interval: '30s', timeout: '10s', confirmations: 2 },
    checks: ids.map((id) => ({ id, name: id, http: { url: `https://${id}.example.com/` } })),
  },
  'batch test config',
);

/** Round `k` with two addresses per result (`allAddresses`), the second failing when `sick`. */
function addressRound(k: number, checks: readonly string[], sick: boolean): ResultJobData[] {
  return round(k, checks).map(({ result, intervalMs }) => ({
    intervalMs,
    result: {
      ...result,
      addresses: [
        { address: '10.0.0.1', ok: true, timings: { total: 2 } },
        { address: '10.0.0.2', ok: !sick, timings: { total: 2 }, ...(sick && { error: 'timeout' as const }) },
      ],
    },
  }));
}

/** Every vantage's result of round `k` for `checks`; `ok` for all of them or none. */
function round(k: number, checks: readonly string[], ok = true): ResultJobData[] {
  return checks.flatMap((checkId) =>
    VANTAGES.map((vantage) => ({
      result: roundResult(checkId, vantage, R(k), ok),
      intervalMs: INTERVAL,
    })),
  );
}

describe('Evaluator: a batch of results in a bounded number of round trips', () => {
  let base: TestContext;
  let ctx: NotifierContext;
  let evaluator: Evaluator;
  let catalog: CheckCatalog;
  const clock = { t: R(0), now: (): number => clock.t };
  const closing: (() => Promise<unknown>)[] = [];

  async function world(): Promise<void> {
    clock.t = R(0);
    base = await testContext('batch', { clock, log: createLogger({ level: 'silent' }) });
    ctx = testNotifierContext(base, { config });
    for (const check of config.checks) await ctx.checks.put(check);
    catalog = new CheckCatalog(ctx);
    await catalog.reload();
    const health = new VantageHealth(ctx);
    const desk = new IncidentDesk(ctx, { catalog });
    evaluator = new Evaluator(ctx, { catalog, desk, health });
    // The first batch loads every script on the connection: the count starts after it.
    clock.t = R(0) + 1_000;
    await evaluator.onResults(round(0, ids));
  }

  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
    await base.cleanup();
  });

  /** The writes one batch of round `k` of `checks` costs the evaluator. */
  async function tripsOf(k: number, checks: readonly string[], ok = true): Promise<number> {
    clock.t = Math.max(clock.t, R(k) + 1_000);
    const counter = countWrites(ctx.redis);
    try {
      await evaluator.onResults(round(k, checks, ok));
      return counter.writes;
    } finally {
      counter.stop();
    }
  }

  it('decides 3 or 150 results in the same two round trips: the round book, then the state machines', async () => {
    await world();
    const one = await tripsOf(1, ids.slice(0, 1));
    const fifty = await tripsOf(1, ids.slice(1));
    expect(one).toBe(2);
    expect(fifty).toBe(one);
    // Failing rounds without a transition yet (two confirmations) cost the same.
    expect(await tripsOf(2, ids, false)).toBe(2);
    for (const id of ids) expect((await ctx.checkStates.get(id)).state).toBe('up');
    expect((await readUptime(ctx, 'c07', clock.now()))['24h']).toMatchObject({ rounds: 3, ok: 2, fail: 1 });
  });

  it('keeps per-address states in the same two round trips, one address going down in every check', async () => {
    await world();
    clock.t = R(1) + 1_000;
    await evaluator.onResults(addressRound(1, ids, false)); // loads the address script
    const trips: number[] = [];
    for (const k of [2, 3]) {
      clock.t = R(k) + 1_000;
      const counter = countWrites(ctx.redis);
      await evaluator.onResults(addressRound(k, ids, true));
      counter.stop();
      trips.push(counter.writes);
    }
    expect(trips).toEqual([2, 2]);
    for (const id of ids) {
      const [, sick] = await ctx.addressStates.get(id);
      expect(sick).toMatchObject({ address: '10.0.0.2', state: 'down', since: R(2) });
      expect((await ctx.checkStates.get(id)).state).toBe('degraded');
    }
  });

  it('takes the incident path only for transitions, and the rest of the batch stays at two round trips', async () => {
    await world();
    await tripsOf(1, ids, false);
    const counter = countWrites(ctx.redis);
    await evaluator.onResults(round(2, ids.slice(0, 1), false));
    const withTransition = counter.writes;
    counter.stop();
    expect((await ctx.checkStates.get('c00')).state).toBe('down');
    expect(await ctx.incidents.list()).toHaveLength(1);
    expect(withTransition).toBeGreaterThan(2);
    // The other 49 checks go down in one batch: its incident work is per transition, the rest is not.
    const all = countWrites(ctx.redis);
    await evaluator.onResults(round(2, ids.slice(1), false));
    all.stop();
    expect(all.writes - 2).toBeLessThanOrEqual((withTransition - 2) * (CHECKS - 1));
    expect(await tripsOf(3, ids, false)).toBe(2);
  });

  it('ignores late and duplicate results in the same batch without a trip of their own', async () => {
    await world();
    await tripsOf(1, ids);
    // Round 1 again (already decided) and round 0 (older): nothing changes, one trip for the book.
    expect(await tripsOf(1, [...ids, ...ids.slice(0, 5)], false)).toBe(1);
    const late = countWrites(ctx.redis);
    await evaluator.onResults(round(0, ids, false));
    late.stop();
    expect(late.writes).toBe(1);
    for (const id of ids) expect((await ctx.checkStates.get(id)).state).toBe('up');
    expect((await readUptime(ctx, 'c42', clock.now()))['24h']).toMatchObject({ rounds: 2, ok: 2, fail: 0 });
  });

  /** The writes a batch job of round 2 costs on the command connection: one check's results, then every check's. */
  async function jobTrips(options: ResultRecorderOptions): Promise<number[]> {
    await world();
    let recorded = 0;
    const recorder = new ResultRecorder(ctx, {
      ...options,
      onRecorded: (_data, outcome) => {
        if (outcome !== 'duplicate') recorded++;
      },
    });
    // A prober's connection, which also watches the stream: none of its commands count.
    const prober = createRedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    closing.push(
      async () => prober.disconnect(),
      () => recorder.close(),
    );
    await recorder.start();
    const deliver = async (results: ResultJobData[]) => {
      recorded = 0;
      await addResultBatch(prober, ctx.keys, results);
      await eventually(
        async () => {
          const backlog = await resultBacklog(prober, ctx.keys);
          return backlog.waiting + backlog.pending === 0;
        },
        10_000,
        'the batch recorded and acknowledged',
      );
      return { recorded };
    };
    await deliver(round(1, ids.slice(0, 1))); // loads the recorder's script
    const trips: number[] = [];
    for (const checks of [ids.slice(0, 1), ids]) {
      clock.t = R(2) + 1_000;
      const counter = countWrites(ctx.redis);
      const outcome = await deliver(round(2, checks));
      counter.stop();
      trips.push(counter.writes);
      expect(outcome).toEqual({ recorded: checks.length === 1 ? 3 : (CHECKS - 1) * 3 });
    }
    for (const id of ids) expect(Number((await ctx.checkStates.get(id)).lastRound)).toBe(R(2));
    return trips;
  }

  it('records and decides a batch job in three round trips on the command connection, however large', async () => {
    expect(await jobTrips({ onBatch: (recorded) => evaluator.onResults(recorded) })).toEqual([3, 3]);
  });

  it('records, books and decides a batch job in two round trips when the evaluator records (as the notifier runs it)', async () => {
    expect(await jobTrips({ record: (batch) => evaluator.recordAndDecide(batch) })).toEqual([2, 2]);
  });
});
