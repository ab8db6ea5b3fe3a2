import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RedisKeys, redisKeys } from '../runtime/keys.js';
import { T0, testRedis } from '../testing/index.js';
import {
  readUptime,
  readUptimeDays,
  utcHour,
  VERDICT_WEIGHTS,
  verdictBucketKeys,
  type WindowUptime,
} from './uptime.js';
import { HOUR_COUNT_WEIGHTS, HOUR_COUNTS_FIELD } from './verdict-ring.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
type Verdict = 'ok' | 'degraded' | 'fail';

describe('uptime from decided rounds', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let keys: RedisKeys;
  beforeEach(async () => {
    ctx = await testRedis('uptime');
    keys = redisKeys(ctx.prefix);
  });
  afterEach(() => ctx.cleanup());

  /** Counts `n` rounds decided at `at` the way the evaluator's script does: HINCRBY in both buckets. */
  async function decided(at: number, verdict: Verdict, n = 1): Promise<void> {
    const bucket = verdictBucketKeys(keys, 'api', at);
    await ctx.redis.hincrby(bucket.day, verdict, n);
    await ctx.redis.hincrby(bucket.hour, verdict, n);
  }
  const read = (now: number) => readUptime({ redis: ctx.redis, keys }, 'api', now);
  const window = (w: WindowUptime['window'], counts: Pick<WindowUptime, 'ok' | 'degraded' | 'fail'>) => {
    const rounds = counts.ok + counts.degraded + counts.fail;
    return { window: w, rounds, ...counts, uptime: rounds === 0 ? null : (rounds - counts.fail) / rounds };
  };

  it('reports no data, not downtime, for a check without decided rounds', async () => {
    const report = await read(T0);
    for (const w of ['24h', '7d', '30d', '90d'] as const) {
      expect(report[w]).toEqual({ window: w, rounds: 0, ok: 0, degraded: 0, fail: 0, uptime: null });
    }
    expect(await readUptimeDays({ redis: ctx.redis, keys }, 'api', 2, T0)).toEqual([
      { day: '2026-11-19', ok: 0, degraded: 0, fail: 0 },
      { day: '2026-11-20', ok: 0, degraded: 0, fail: 0 },
    ]);
  });

  it('names buckets by the UTC day and hour of the round, across midnight', () => {
    const midnight = Date.UTC(2026, 10, 21);
    expect(utcHour(midnight - 1)).toBe('2026-11-20T23');
    expect(verdictBucketKeys(keys, 'api', midnight - 1)).toEqual({
      day: keys.verdictDay('api', '2026-11-20'),
      hour: keys.verdictHour('api', '2026-11-20T23'),
    });
    expect(verdictBucketKeys(keys, 'api', midnight)).toEqual({
      day: keys.verdictDay('api', '2026-11-21'),
      hour: keys.verdictHour('api', '2026-11-21T00'),
    });
  });

  it('sums each window from its buckets; degraded counts as up', async () => {
    const now = T0 + 30 * 60_000; // 12:30, so the 24 h window starts halfway through 2026-11-19T12
    await decided(now, 'ok', 90);
    await decided(now - HOUR, 'degraded', 6);
    await decided(now, 'fail', 4);
    await decided(now - 24 * HOUR, 'ok', 20); // the oldest, partial hour: counted wholly
    await decided(now - 25 * HOUR, 'fail', 50); // an hour before the window
    await decided(now - 6 * DAY, 'fail', 10); // 2026-11-14: the 7th day back, today included
    await decided(now - 7 * DAY, 'fail', 100); // 2026-11-13: 30 days, not 7
    await decided(now - 29 * DAY, 'ok', 30);
    await decided(now - 30 * DAY, 'fail', 40); // 90 days only
    await decided(now - 89 * DAY, 'degraded', 5);
    await decided(now - 90 * DAY, 'fail', 1_000); // older than every window

    const report = await read(now);
    expect(report['24h']).toEqual(window('24h', { ok: 110, degraded: 6, fail: 4 }));
    expect(report['24h'].uptime).toBeCloseTo(116 / 120);
    // Today and yesterday in day buckets hold every hour of them, the one before the window included.
    expect(report['7d']).toEqual(window('7d', { ok: 110, degraded: 6, fail: 64 }));
    expect(report['30d']).toEqual(window('30d', { ok: 140, degraded: 6, fail: 164 }));
    expect(report['90d']).toEqual(window('90d', { ok: 140, degraded: 11, fail: 204 }));
  });

  it('starts the day windows at UTC midnight', async () => {
    const midnight = Date.UTC(2026, 10, 21);
    await decided(midnight - 7 * DAY, 'fail'); // 2026-11-14: 8 days back from 2026-11-21
    await decided(midnight - 6 * DAY, 'ok'); // 2026-11-15, the oldest day of the 7
    await decided(midnight - 1, 'degraded'); // 2026-11-20T23
    expect((await read(midnight - 1))['7d']).toEqual(window('7d', { ok: 1, degraded: 1, fail: 1 }));
    const report = await read(midnight);
    expect(report['7d']).toEqual(window('7d', { ok: 1, degraded: 1, fail: 0 }));
    expect(report['24h']).toEqual(window('24h', { ok: 0, degraded: 1, fail: 0 }));
  });

  it('lists days oldest first for the status page, and refuses a span it does not keep', async () => {
    await decided(T0 - DAY, 'fail', 2);
    await decided(T0 - DAY, 'ok', 3);
    await decided(T0, 'degraded');
    const ctxt = { redis: ctx.redis, keys };
    expect(await readUptimeDays(ctxt, 'api', 3, T0)).toEqual([
      { day: '2026-11-18', ok: 0, degraded: 0, fail: 0 },
      { day: '2026-11-19', ok: 3, degraded: 0, fail: 2 },
      { day: '2026-11-20', ok: 0, degraded: 1, fail: 0 },
    ]);
    expect(await readUptimeDays(ctxt, 'api', 90, T0)).toHaveLength(90);
    for (const days of [0, 91, 1.5]) {
      await expect(readUptimeDays(ctxt, 'api', days, T0)).rejects.toMatchObject({
        name: 'VigilError',
        code: 'VALIDATION',
      });
    }
  });

  it("adds the hour a check's state holds, not in the rings yet, to that hour and its day, until it leaves each window", async () => {
    const hour = Math.floor(T0 / HOUR); // 2026-11-20T12
    const counts = (ok: number, degraded: number, fail: number) =>
      `${hour}|${ok + degraded * HOUR_COUNT_WEIGHTS.degraded + fail * HOUR_COUNT_WEIGHTS.fail}`;
    await ctx.redis.hset(keys.checkState('api'), 'state', 'up', HOUR_COUNTS_FIELD, counts(50, 2, 3));
    await decided(T0 - HOUR, 'ok', 7); // the hour before, in the buckets
    const both = { ok: 57, degraded: 2, fail: 3 };
    // Inside the hour, at the first moment of the next (no round since), and a day on.
    expect((await read(T0 + 30 * 60_000))['24h']).toEqual(window('24h', both));
    expect((await read((hour + 1) * HOUR))['24h']).toEqual(window('24h', both));
    expect((await read((hour + 1) * HOUR))['90d']).toEqual(window('90d', both));
    expect((await read(T0 + 24 * HOUR))['24h']).toEqual(window('24h', { ok: 50, degraded: 2, fail: 3 }));
    expect((await read(T0 + 25 * HOUR))['24h']).toEqual(window('24h', { ok: 0, degraded: 0, fail: 0 }));
    expect((await read(T0 + 25 * HOUR))['7d']).toEqual(window('7d', both));
    expect(await readUptimeDays({ redis: ctx.redis, keys }, 'api', 2, T0 + DAY)).toEqual([
      { day: '2026-11-20', ...both },
      { day: '2026-11-21', ok: 0, degraded: 0, fail: 0 },
    ]);
    // A field not of its form (none from any release) reads as none, not as NaN.
    await ctx.redis.hset(keys.checkState('api'), HOUR_COUNTS_FIELD, 'x|1');
    expect((await read(T0))['24h']).toEqual(window('24h', { ok: 7, degraded: 0, fail: 0 }));
  });

  it('reads counts packed one field a day and an hour, added to the buckets from before packing', async () => {
    const now = T0 + 30 * 60_000;
    /** What the evaluator's script does: HINCRBY the period's field by the verdict's weight. */
    const packed = async (at: number, verdict: Verdict, n: number) => {
      const by = (VERDICT_WEIGHTS[verdict] * BigInt(n)).toString();
      await ctx.redis.hincrby(keys.verdictDays('api'), String(Math.floor(at / DAY)), by);
      await ctx.redis.hincrby(keys.verdictHours('api'), String(Math.floor(at / HOUR)), by);
    };
    await packed(now, 'ok', 90_000);
    await packed(now, 'fail', 86_400);
    await packed(now - HOUR, 'degraded', 7);
    await packed(now - 2 * DAY, 'fail', 3);
    await decided(now, 'ok', 10); // written before the upgrade, the same day and hour
    const report = await read(now);
    expect(report['24h']).toEqual(window('24h', { ok: 90_010, degraded: 7, fail: 86_400 }));
    expect(report['7d']).toEqual(window('7d', { ok: 90_010, degraded: 7, fail: 86_403 }));
    expect(await readUptimeDays({ redis: ctx.redis, keys }, 'api', 3, now)).toEqual([
      { day: '2026-11-18', ok: 0, degraded: 0, fail: 3 },
      { day: '2026-11-19', ok: 0, degraded: 0, fail: 0 },
      { day: '2026-11-20', ok: 90_010, degraded: 7, fail: 86_400 },
    ]);
  });
});
