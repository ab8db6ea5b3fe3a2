import { T0, testContext } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckStates, type VerdictInput } from './check-state.js';
import type { Verdict } from './round-verdict.js';

const INTERVAL = 30_000;
const R = (k: number) => T0 + k * INTERVAL;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function round(k: number, verdict: Verdict): VerdictInput {
  return {
    checkId: 'blog',
    round: R(k),
    verdict,
    confirmations: 2,
    alertOn: 'down',
    detail: { failing: [], counted: 2 },
    now: R(k) + 1_000,
  };
}

describe('CheckStates: the state hash', () => {
  it('holds every field of the rounds applied, though a round writes only those it changed', async () => {
    const base = await testContext('check-state');
    cleanups.push(base.cleanup);
    const states = new CheckStates(base);
    const verdicts: Verdict[] = ['ok', 'fail', 'fail', 'ok', 'degraded', 'ok', 'ok', 'ok'];
    const seen: string[] = [];
    for (const [k, verdict] of verdicts.entries()) seen.push((await states.apply(round(k + 1, verdict)))?.to ?? '-');
    expect(seen).toEqual(['up', 'up', 'down', 'down', 'degraded', 'degraded', 'up', 'up']);
    expect(await states.apply(round(8, 'fail'))).toBeUndefined(); // too late: applied already
    const hash = await states.get('blog');
    expect(
      Object.fromEntries(
        Object.entries(hash).map(([field, value]) => [
          field,
          value === 'up' || value.includes('|') ? value : Number(value),
        ]),
      ),
    ).toEqual({
      lastRound: R(8),
      state: 'up',
      since: R(7),
      failStreak: 0,
      goodStreak: 5,
      okStreak: 3,
      badStreak: 0,
      firstFailedRound: R(2),
      lastFailedRound: R(3),
      goodBeforeFail: R(1),
      recoveryStart: R(4),
      lastGoodRound: R(8),
      firstBadRound: R(5),
      lastBadRound: R(5),
      okBeforeBad: R(4),
      okRecoveryStart: R(6),
      lastOkRound: R(8),
      // The rounds of the hour they were applied in, ok + 2^16 × degraded + 2^32 × fail: not in the
      // rings until a later hour's round.
      hourCounts: `${Math.floor(T0 / 3_600_000)}|${5 + 2 ** 16 + 2 * 2 ** 32}`,
    });
  });

  it('drops the detail and verdict a hash written before kept', async () => {
    const base = await testContext('check-state');
    cleanups.push(base.cleanup);
    const states = new CheckStates(base);
    await states.apply(round(1, 'ok'));
    const key = base.keys.checkState('blog');
    await base.redis.hset(key, 'detail', '{"failing":[]}', 'lastVerdict', 'ok');
    await states.apply(round(2, 'ok'));
    const hash = await states.get('blog');
    expect(hash.detail).toBeUndefined();
    expect(hash.lastVerdict).toBeUndefined();
    expect(hash).toMatchObject({ lastRound: String(R(2)), state: 'up', since: String(R(1)), goodStreak: '2' });
  });
});

describe('CheckStates: the last good and ok round of a running streak', () => {
  async function setup() {
    const base = await testContext('check-state');
    cleanups.push(base.cleanup);
    const states = new CheckStates(base);
    const stored = () => base.redis.hgetall(base.keys.checkState('blog'));
    return { base, states, stored };
  }

  it('are not written while the streak runs, read as its last round, and written when it ends', async () => {
    const { states, stored } = await setup();
    for (const k of [1, 2, 3]) await states.apply(round(k, 'ok'));
    expect(await stored()).not.toHaveProperty('lastGoodRound');
    expect(await stored()).not.toHaveProperty('lastOkRound');
    expect(await states.get('blog')).toMatchObject({ lastGoodRound: String(R(3)), lastOkRound: String(R(3)) });
    await states.apply(round(4, 'fail'));
    const change = await states.apply(round(5, 'fail'));
    expect(change?.transition).toMatchObject({ kind: 'alert', firstFailedRound: R(4), lastGoodBefore: R(3) });
    expect(await stored()).toMatchObject({
      lastGoodRound: String(R(3)),
      lastOkRound: String(R(3)),
      goodBeforeFail: String(R(3)),
      okBeforeBad: String(R(3)),
    });
  });

  it('are written when a blind spot zeroes the streaks, so a failure after it is bounded by them', async () => {
    const { states, stored } = await setup();
    for (const k of [1, 2, 3]) await states.apply(round(k, 'ok'));
    expect(await states.markBlind([{ id: 'blog', blindBefore: R(10) }], R(10))).toEqual(new Map([['blog', 'up']]));
    expect(await stored()).toMatchObject({ goodStreak: '0', lastGoodRound: String(R(3)), lastOkRound: String(R(3)) });
    await states.apply(round(11, 'fail'));
    const change = await states.apply(round(12, 'fail'));
    expect(change?.transition).toMatchObject({ kind: 'alert', firstFailedRound: R(11), lastGoodBefore: R(3) });
  });

  it('bound a failure right after a blind spot marked by the release before, which did not write them', async () => {
    const { base, states } = await setup();
    for (const k of [1, 2, 3]) await states.apply(round(k, 'ok'));
    // What mark-blind.lua wrote before this release: the streaks zeroed, nothing else of them.
    await base.redis.hset(base.keys.checkState('blog'), {
      state: 'unknown',
      blindFrom: 'up',
      since: R(10),
      failStreak: 0,
      goodStreak: 0,
      okStreak: 0,
      badStreak: 0,
    });
    expect(await states.get('blog')).toMatchObject({ lastGoodRound: String(R(3)), lastOkRound: String(R(3)) });
    await states.apply(round(11, 'fail'));
    const change = await states.apply(round(12, 'fail'));
    expect(change?.transition).toMatchObject({ kind: 'alert', firstFailedRound: R(11), lastGoodBefore: R(3) });
    expect(await states.get('blog')).toMatchObject({ lastGoodRound: String(R(3)), lastOkRound: String(R(3)) });
  });

  it('read right from a hash written before, which rewrote them every round', async () => {
    const { base, states, stored } = await setup();
    await base.redis.hset(base.keys.checkState('blog'), {
      lastRound: R(3),
      state: 'up',
      since: R(1),
      failStreak: 0,
      goodStreak: 3,
      okStreak: 3,
      badStreak: 0,
      recoveryStart: R(1),
      lastGoodRound: R(3),
      okRecoveryStart: R(1),
      lastOkRound: R(3),
    });
    await states.apply(round(4, 'ok'));
    expect(await states.get('blog')).toMatchObject({ lastGoodRound: String(R(4)), lastOkRound: String(R(4)) });
    await states.apply(round(5, 'degraded'));
    expect(await stored()).toMatchObject({ lastOkRound: String(R(4)), okBeforeBad: String(R(4)) });
    await states.apply(round(6, 'fail'));
    const change = await states.apply(round(7, 'fail'));
    expect(change?.transition).toMatchObject({ kind: 'alert', firstFailedRound: R(6), lastGoodBefore: R(5) });
    expect(await states.get('blog')).toMatchObject({ lastGoodRound: String(R(5)), lastOkRound: String(R(4)) });
  });
});

describe('CheckStates: the hour counts of checks applied together', () => {
  it('adds each round to its own hour and verdict, though the checks held the same counts', async () => {
    const base = await testContext('check-state');
    cleanups.push(base.cleanup);
    const states = new CheckStates(base);
    const hour = Math.floor(T0 / 3_600_000);
    const nextHour = (hour + 1) * 3_600_000;
    for (const id of ['a', 'b', 'c', 'd'])
      await base.redis.hset(base.keys.checkState(id), 'lastRound', T0 - 1, 'state', 'up', 'hourCounts', `${hour}|5`);
    const pipeline = states.pipeline();
    const read = states.queueApplyMany(pipeline, [
      { ...round(0, 'ok'), checkId: 'a', round: T0 },
      { ...round(0, 'ok'), checkId: 'b', round: nextHour },
      { ...round(0, 'ok'), checkId: 'c', round: T0 },
      { ...round(0, 'fail'), checkId: 'd', round: T0 },
    ]);
    read((await pipeline.exec()) ?? []);
    const counts = async (id: string) => (await states.get(id)).hourCounts;
    expect(await counts('a')).toBe(`${hour}|6`);
    expect(await counts('b')).toBe(`${hour + 1}|1`);
    expect(await counts('c')).toBe(`${hour}|6`);
    expect(await counts('d')).toBe(`${hour}|${5 + 2 ** 32}`);
  });
});
