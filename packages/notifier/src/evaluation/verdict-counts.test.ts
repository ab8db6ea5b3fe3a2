import { readUptime, redisKeys } from '@vigil/core';
import { T0, testRedis } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckStates, type VerdictInput } from './check-state.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

describe('verdict counts: one hash field per UTC day and hour', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let states: CheckStates;
  const keys = () => redisKeys(ctx.prefix);
  beforeEach(async () => {
    ctx = await testRedis('verdict-counts');
    states = new CheckStates({ redis: ctx.redis, keys: keys() });
  });
  afterEach(() => ctx.cleanup());

  const verdict = (round: number, v: VerdictInput['verdict']): VerdictInput => ({
    checkId: 'api',
    round,
    verdict: v,
    confirmations: 2,
    alertOn: 'down',
    detail: { failing: [], counted: 3 },
    now: round,
  });

  it('keeps the last 91 days and 26 hours, each day and hour in one field, and reads them back', async () => {
    const first = T0 - 110 * DAY;
    // A round a day for 108 days, then a round an hour for the last 60 hours (rounds in order: a round
    // before the last one applied is not counted), every fifth one failing.
    const rounds = [
      ...Array.from({ length: 108 }, (_, i) => first + i * DAY),
      ...Array.from({ length: 60 }, (_, i) => T0 - (59 - i) * HOUR + 60_000),
    ];
    for (const [i, round] of rounds.entries()) await states.apply(verdict(round, i % 5 === 4 ? 'fail' : 'ok'));

    const days = await ctx.redis.hkeys(keys().verdictDays('api'));
    const hours = await ctx.redis.hkeys(keys().verdictHours('api'));
    expect(days).toHaveLength(91);
    expect(Math.min(...days.map(Number))).toBe(Math.floor(T0 / DAY) - 90);
    expect(hours).toHaveLength(26);
    expect(Math.min(...hours.map(Number))).toBe(Math.floor(T0 / HOUR) - 25);

    const now = T0 + 2 * 60_000;
    const report = await readUptime({ redis: ctx.redis, keys: keys() }, 'api', now);
    // 24 h reads the 25 hours the window touches, the oldest wholly.
    const since = (from: number) => rounds.map((round, k) => ({ round, k })).filter(({ round }) => round >= from);
    const last24h = since(Math.floor((now - 24 * HOUR) / HOUR) * HOUR);
    expect(report['24h']).toMatchObject({
      rounds: last24h.length,
      fail: last24h.filter(({ k }) => k % 5 === 4).length,
    });
    const last7Days = since((Math.floor(now / DAY) - 6) * DAY);
    expect(report['7d']).toMatchObject({
      rounds: last7Days.length,
      fail: last7Days.filter(({ k }) => k % 5 === 4).length,
    });
  });
});
