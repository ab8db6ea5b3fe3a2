import { sampleResult } from '@vigil/core/testing';
import { describe, expect, it } from 'vitest';
import { judgeAddresses } from './address-verdict.js';
import { judgeRound, type RoundOutcome, toRoundOutcome } from './round-verdict.js';

const SICK = '5.104.101.30';
const FINE = '109.232.236.90';

/** A vantage's outcome that probed both addresses, the sick one failing or not. */
function probed(sickFails: boolean): RoundOutcome {
  return toRoundOutcome(
    sampleResult({
      ok: !sickFails,
      addresses: [
        { address: SICK, ok: !sickFails, timings: { total: 3 }, ...(sickFails && { error: 'timeout' as const }) },
        { address: FINE, ok: true, timings: { total: 3 } },
      ],
    }),
  );
}

function judge(spec: Record<string, RoundOutcome>, impaired: string[] = []) {
  return judgeAddresses(new Map(Object.entries(spec)), { quorum: 'majority', impaired: new Set(impaired) });
}

describe('judgeAddresses', () => {
  it('fails an address the quorum of vantages failed, while the other stays ok', () => {
    expect(judge({ a: probed(true), b: probed(true), c: probed(false) })).toEqual([
      { address: FINE, verdict: 'ok', counted: ['a', 'b', 'c'], failing: [] },
      { address: SICK, verdict: 'fail', counted: ['a', 'b', 'c'], failing: ['a', 'b'], error: 'timeout' },
    ]);
  });

  it('an address failed by fewer than the quorum is degraded', () => {
    const [, sick] = judge({ a: probed(true), b: probed(false), c: probed(false) });
    expect(sick).toMatchObject({ address: SICK, verdict: 'degraded', failing: ['a'] });
  });

  it('leaves impaired vantages out of the count', () => {
    const [, sick] = judge({ a: probed(true), b: probed(false), c: probed(false) }, ['b', 'c']);
    expect(sick).toMatchObject({ verdict: 'fail', counted: ['a'] });
  });

  it('counts only the vantages that probed the address', () => {
    const onlyFine: RoundOutcome = { ok: true, addresses: { [FINE]: true } };
    const verdicts = judge({ a: probed(true), b: onlyFine });
    expect(verdicts.find((v) => v.address === SICK)).toMatchObject({ verdict: 'fail', counted: ['a'] });
    expect(verdicts.find((v) => v.address === FINE)).toMatchObject({ verdict: 'ok', counted: ['a', 'b'] });
  });

  it('is empty for a round without per-address outcomes', () => {
    expect(judge({ a: { ok: false, error: 'timeout' }, b: { ok: true } })).toEqual([]);
  });

  it('the name still answers while one of its addresses does: degraded, not failed', () => {
    const outcomes = new Map(Object.entries({ a: probed(true), b: probed(true), c: probed(true) }));
    expect([...outcomes.values()].every((outcome) => outcome.ok)).toBe(true);
    expect(judgeRound(outcomes, { quorum: 'majority', impaired: new Set() })?.verdict).toBe('degraded');
  });

  it('a name none of whose addresses answers fails', () => {
    const dead = toRoundOutcome(
      sampleResult({
        ok: false,
        error: 'connect_refused',
        addresses: [{ address: SICK, ok: false, error: 'connect_refused', timings: { total: 1 } }],
      }),
    );
    expect(dead).toMatchObject({ ok: false, addresses: { [SICK]: 'connect_refused' } });
  });
});
