import { readUptime, readUptimeDays, redisKeys } from '@vigil/core';
import { T0, testRedis } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckStates, type VerdictInput } from './check-state.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

describe('verdict counts: a ring of UTC days and one of UTC hours', () => {
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

  it('keeps the last 91 days and 26 hours, each in a slot of its ring, and reads them back', async () => {
    const first = T0 - 110 * DAY;
    // A round a day for 108 days, then a round an hour for the last 60 hours (rounds in order: a round
    // before the last one applied is not counted), every fifth one failing.
    const rounds = [
      ...Array.from({ length: 108 }, (_, i) => first + i * DAY),
      ...Array.from({ length: 60 }, (_, i) => T0 - (59 - i) * HOUR + 60_000),
    ];
    for (const [i, round] of rounds.entries()) await states.apply(verdict(round, i % 5 === 4 ? 'fail' : 'ok'));

    // Each ring is one string of fixed size, whatever the days and hours it has seen.
    expect(await ctx.redis.strlen(keys().verdictDayRing('api'))).toBe(585);
    expect(await ctx.redis.strlen(keys().verdictHourRing('api'))).toBe(121);
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
    // 30 and 90 days read slots reused since 110 days ago: each holds its own day's rounds only.
    for (const w of ['30d', '90d'] as const) {
      const inWindow = since((Math.floor(now / DAY) - (w === '30d' ? 29 : 89)) * DAY);
      expect(report[w]).toMatchObject({
        rounds: inWindow.length,
        fail: inWindow.filter(({ k }) => k % 5 === 4).length,
      });
    }
    expect(report['90d'].rounds).toBeGreaterThan(report['30d'].rounds);
  });

  it('adds the hashes of a day and hour written before the rings (an upgrade) to the rings', async () => {
    const round = T0 - 30 * 60_000;
    // The layout before: a field a day / hour, the counts packed ok + 2^20 × degraded + 2^40 × fail.
    const packed = String(3 + 2 * 2 ** 40);
    await ctx.redis.hset(keys().verdictDays('api'), String(Math.floor(round / DAY)), packed);
    await ctx.redis.hset(keys().verdictHours('api'), String(Math.floor(round / HOUR)), packed);
    await states.apply(verdict(round + 60_000, 'fail'));
    await states.apply(verdict(round + 120_000, 'ok'));
    const report = await readUptime({ redis: ctx.redis, keys: keys() }, 'api', T0);
    expect(report['24h']).toMatchObject({ rounds: 7, ok: 4, fail: 3 });
    expect(report['90d']).toMatchObject({ rounds: 7, ok: 4, fail: 3 });
  });

  it('counts a round in the hour ring only and adds each hour to its day when the next begins, 26 hours apart too', async () => {
    const day = Math.floor(T0 / DAY) * DAY;
    const at = (hour: number, minute: number) => day + hour * HOUR + minute * 60_000;
    const rounds: [number, VerdictInput['verdict']][] = [
      [at(22, 10), 'ok'],
      [at(22, 40), 'fail'],
      [at(23, 30), 'degraded'], // hour 22 goes to day 0
      [at(24, 5), 'fail'], // day 1 begins: hour 23 goes to day 0
      [at(50, 5), 'ok'], // 26 hours on: the same slot of the hour ring
      [at(50, 35), 'ok'],
    ];
    for (const [round, v] of rounds) await states.apply(verdict(round, v));
    const now = at(50, 40);
    const days = await readUptimeDays({ redis: ctx.redis, keys: keys() }, 'api', 3, now);
    expect(days.map(({ ok, degraded, fail }) => [ok, degraded, fail])).toEqual([
      [1, 1, 1],
      [0, 0, 1],
      [2, 0, 0],
    ]);
    const report = await readUptime({ redis: ctx.redis, keys: keys() }, 'api', now);
    expect(report['24h']).toMatchObject({ rounds: 2, ok: 2 });
    expect(report['7d']).toMatchObject({ rounds: 6, ok: 3, degraded: 1, fail: 2 });
  });

  it('goes on from rings written before (every round in both), converting the hour ring at its next hour', async () => {
    const day = Math.floor(T0 / DAY) * DAY;
    const hour = Math.floor(T0 / HOUR);
    // The layout before, as its script left it: 3 ok rounds this hour, counted in both rings with
    // 7 of earlier hours in the day ring. Both rings at full length, headers without bit 31.
    await ctx.redis.set(keys().verdictHourRing('api'), Buffer.alloc(121));
    await ctx.redis.set(keys().verdictDayRing('api'), Buffer.alloc(585));
    const hourRing = keys().verdictHourRing('api');
    await ctx.redis.bitfield(hourRing, 'SET', 'u32', 0, hour);
    await ctx.redis.bitfield(hourRing, 'INCRBY', 'u12', 32 + (hour % 26) * 36, 3);
    const today = Math.floor(T0 / DAY);
    const dayRing = keys().verdictDayRing('api');
    await ctx.redis.bitfield(dayRing, 'SET', 'u32', 0, today);
    await ctx.redis.bitfield(dayRing, 'INCRBY', 'u17', 32 + (today % 91) * 51, 10);
    await ctx.redis.hset(keys().checkState('api'), 'lastRound', T0, 'state', 'up');
    for (const [round, v] of [
      [T0 + 60_000, 'fail'],
      [T0 + HOUR + 60_000, 'ok'],
      [T0 + 2 * HOUR + 60_000, 'fail'],
      [T0 + 2 * HOUR + 120_000, 'ok'],
    ] as const)
      await states.apply(verdict(round, v));
    const now = T0 + 2 * HOUR + 180_000;
    expect(now - day).toBeLessThan(DAY);
    const [counts] = (await readUptimeDays({ redis: ctx.redis, keys: keys() }, 'api', 1, now)).slice(-1);
    expect(counts).toMatchObject({ ok: 12, fail: 2 });
    const report = await readUptime({ redis: ctx.redis, keys: keys() }, 'api', now);
    expect(report['24h']).toMatchObject({ rounds: 7, ok: 5, fail: 2 });
    expect(report['90d']).toMatchObject({ rounds: 14, ok: 12, fail: 2 });
  });

  it('reads every window as the rounds applied, at any moment: inside an hour, right after it, once put in the rings', async () => {
    /** mulberry32: the same rounds each run, several seeds. */
    const random = (seed: number) => () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };
    const VERDICTS = ['ok', 'ok', 'ok', 'degraded', 'fail'] as const;
    // Gaps between rounds: within an hour, across one, across several, past the hour ring's 26, days.
    const GAPS = [30_000, 30_000, 170_000, 10 * 60_000, 55 * 60_000, 3 * HOUR, 27 * HOUR, 4 * DAY];
    const ctxt = () => ({ redis: ctx.redis, keys: keys() });
    for (const seed of [1, 2, 3, 4]) {
      const next = random(seed);
      const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)] as T;
      const id = `check-${seed}`;
      const applied: { round: number; verdict: VerdictInput['verdict'] }[] = [];
      /** What a reader must see at `now`: the rounds applied, by the periods each window reads. */
      const expected = (now: number) => {
        const within = (from: number, periodMs: number) =>
          applied.filter(({ round }) => Math.floor(round / periodMs) >= from && round <= now);
        const sum = (rounds: typeof applied) => ({
          rounds: rounds.length,
          ok: rounds.filter((r) => r.verdict === 'ok').length,
          degraded: rounds.filter((r) => r.verdict === 'degraded').length,
          fail: rounds.filter((r) => r.verdict === 'fail').length,
        });
        const today = Math.floor(now / DAY);
        return {
          '24h': sum(within(Math.floor(now / HOUR) - 24, HOUR)),
          '7d': sum(within(today - 6, DAY)),
          '30d': sum(within(today - 29, DAY)),
          '90d': sum(within(today - 89, DAY)),
          days: Array.from({ length: 90 }, (_, i) => {
            const { ok, degraded, fail } = sum(
              within(today - 89 + i, DAY).filter(({ round }) => round < (today - 88 + i) * DAY),
            );
            return { ok, degraded, fail };
          }),
        };
      };
      const check = async (now: number, what: string) => {
        const want = expected(now);
        const report = await readUptime(ctxt(), id, now);
        for (const w of ['24h', '7d', '30d', '90d'] as const)
          expect(report[w], `seed ${seed}, ${what}, ${w}`).toMatchObject(want[w]);
        const days = await readUptimeDays(ctxt(), id, 90, now);
        expect(
          days.map(({ ok, degraded, fail }) => ({ ok, degraded, fail })),
          `seed ${seed}, ${what}, days`,
        ).toEqual(want.days);
      };
      let round = T0 - 40 * DAY + Math.floor(next() * HOUR);
      for (let k = 0; k < 120; k++) {
        const v = pick(VERDICTS);
        await states.apply({ ...verdict(round, v), checkId: id });
        applied.push({ round, verdict: v });
        const following = round + pick(GAPS) + Math.floor(next() * 20_000);
        // Right after the round, somewhere before the next, and at the first moment of the next hour
        // when no round has come yet (its hour's counts still in the state, counted for their hour).
        await check(round, `round ${k}`);
        await check(round + Math.floor(next() * (following - round)), `between rounds ${k} and ${k + 1}`);
        const nextHour = (Math.floor(round / HOUR) + 1) * HOUR;
        if (nextHour < following) await check(nextHour, `the hour after round ${k}`);
        round = following;
      }
      // A check paused since: its last hour is never put in the rings, and still counts.
      const last = applied[applied.length - 1]?.round ?? 0;
      for (const later of [HOUR, 23 * HOUR, 25 * HOUR, 3 * DAY, 89 * DAY])
        await check(last + later, `paused ${later} ms`);
    }
  });

  it('counts nothing twice after an upgrade, a notifier of the release before counting in the ring directly meanwhile', async () => {
    const hour = Math.floor(T0 / HOUR);
    const hourRing = keys().verdictHourRing('api');
    const dayRing = keys().verdictDayRing('api');
    const slot = (h: number, counter: number) => 32 + (h % 26) * 36 + counter * 12;
    // As the release before left them: this hour's 3 ok rounds in the hour ring only (bit 31 of its
    // header), 10 ok rounds of earlier hours today in the day ring, a state without `hourCounts`.
    await ctx.redis.set(hourRing, Buffer.alloc(121));
    await ctx.redis.set(dayRing, Buffer.alloc(585));
    await ctx.redis.bitfield(hourRing, 'SET', 'u32', 0, hour + 2 ** 31);
    await ctx.redis.bitfield(hourRing, 'INCRBY', 'u12', slot(hour, 0), 3);
    const today = Math.floor(T0 / DAY);
    await ctx.redis.bitfield(dayRing, 'SET', 'u32', 0, today);
    await ctx.redis.bitfield(dayRing, 'INCRBY', 'u17', 32 + (today % 91) * 51, 10);
    await ctx.redis.hset(keys().checkState('api'), 'lastRound', T0, 'state', 'up');
    const read = async (now: number) => {
      const ctxt = { redis: ctx.redis, keys: keys() };
      const [day] = (await readUptimeDays(ctxt, 'api', 1, now)).slice(-1);
      return { '24h': (await readUptime(ctxt, 'api', now))['24h'], day };
    };
    const counts = (ok: number, fail: number, dayOk: number) => ({
      '24h': expect.objectContaining({ ok, fail, degraded: 0 }),
      day: expect.objectContaining({ ok: dayOk, fail, degraded: 0 }),
    });

    await states.apply(verdict(T0 + 60_000, 'fail')); // the new release: in the state
    expect(await read(T0 + 90_000)).toEqual(counts(3, 1, 13));
    // The release before, still running: a round of this hour counted in its slot, the state's lastRound.
    await ctx.redis.bitfield(hourRing, 'INCRBY', 'u12', slot(hour, 0), 1);
    await ctx.redis.hset(keys().checkState('api'), 'lastRound', T0 + 120_000);
    expect(await read(T0 + 150_000)).toEqual(counts(4, 1, 14));
    await states.apply(verdict(T0 + HOUR + 60_000, 'ok')); // puts the state's hour in its slot
    expect(await read(T0 + HOUR + 90_000)).toEqual(counts(5, 1, 15));
    await states.apply(verdict(T0 + 2 * HOUR + 60_000, 'ok')); // the ring's newest hour goes to the day ring
    expect(await read(T0 + 2 * HOUR + 90_000)).toEqual(counts(6, 1, 16));
    expect(await read(T0 + 3 * HOUR)).toEqual(counts(6, 1, 16));
  });

  it("keeps the state machine's fields only in the state hash, dropping a round's detail written before", async () => {
    const stateKey = keys().checkState('api');
    await ctx.redis.hset(stateKey, 'detail', JSON.stringify({ failing: ['alpha'], counted: 3 }), 'lastVerdict', 'fail');
    const message = 'expected status 200, got 503 Service Unavailable';
    await states.apply({ ...verdict(T0, 'fail'), detail: { failing: ['alpha', 'beta'], counted: 3, message } });
    const state = await states.get('api');
    expect(state).toMatchObject({ state: 'new', failStreak: '1', lastRound: String(T0) });
    expect(state).not.toHaveProperty('detail');
    expect(state).not.toHaveProperty('lastVerdict');
    expect(await ctx.redis.object('ENCODING', stateKey)).not.toBe('hashtable');
  });
});
