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
