import type { Quorum } from '@vigil/core';
import { sampleResult } from '@vigil/core/testing';
import { describe, expect, it } from 'vitest';
import { failuresNeeded, judgeRound, type RoundOutcome, toRoundOutcome } from './round-verdict.js';

const up: RoundOutcome = { ok: true };
const down = (error: RoundOutcome['error'] = 'timeout', message = `${error} after 10s`): RoundOutcome => ({
  ok: false,
  error,
  message,
});

/** A round from a compact spec: `{ alpha: up, beta: down() }`. */
function round(spec: Record<string, RoundOutcome>): Map<string, RoundOutcome> {
  return new Map(Object.entries(spec));
}

/** `n` reporters (v1…vn) of which the first `failing` failed. */
function reporters(n: number, failing: number): Map<string, RoundOutcome> {
  return new Map(Array.from({ length: n }, (_, i) => [`v${i + 1}`, i < failing ? down() : up]));
}

function judge(outcomes: Map<string, RoundOutcome>, quorum: Quorum = 'majority', impaired: string[] = []) {
  return judgeRound(outcomes, { quorum, impaired: new Set(impaired) });
}

describe('judgeRound: quorum', () => {
  it.each([
    // reporters, failures needed for a majority
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 3],
    [5, 3],
  ])('majority of %i reporters needs %i failures', (n, needed) => {
    expect(failuresNeeded('majority', n)).toBe(needed);
    expect(judge(reporters(n, needed))?.verdict).toBe('fail');
    expect(judge(reporters(n, needed - 1))?.verdict).toBe(needed - 1 === 0 ? 'ok' : 'degraded');
  });

  it('all: every reporter must fail', () => {
    expect(judge(reporters(3, 2), 'all')?.verdict).toBe('degraded');
    expect(judge(reporters(3, 3), 'all')?.verdict).toBe('fail');
    expect(judge(reporters(1, 1), 'all')?.verdict).toBe('fail');
  });

  it('a number: that many failures, capped at the reporters there are', () => {
    expect(judge(reporters(3, 1), 1)?.verdict).toBe('fail');
    expect(judge(reporters(3, 1), 2)?.verdict).toBe('degraded');
    expect(failuresNeeded(5, 3)).toBe(3);
    expect(judge(reporters(3, 3), 5)?.verdict).toBe('fail');
    expect(judge(reporters(2, 2), 5)?.verdict).toBe('fail');
    expect(judge(reporters(3, 2), 5)?.verdict).toBe('degraded');
  });

  it('no reporter: no verdict', () => {
    expect(judge(new Map())).toBeUndefined();
  });

  it('lists reporters, counted and failing sorted by vantage', () => {
    const verdict = judge(round({ gamma: down(), alpha: up, beta: down() }));
    expect(verdict).toMatchObject({
      verdict: 'fail',
      reporters: ['alpha', 'beta', 'gamma'],
      counted: ['alpha', 'beta', 'gamma'],
      failing: ['beta', 'gamma'],
      soloFailures: [],
    });
  });
});

describe('judgeRound: impaired vantages', () => {
  it('leaves them out of the count: their failure alone is not seen', () => {
    const verdict = judge(round({ alpha: up, beta: up, gamma: down() }), 'majority', ['gamma']);
    expect(verdict).toMatchObject({ verdict: 'ok', counted: ['alpha', 'beta'], failing: [] });
  });

  it('takes the majority of the healthy ones: one of two healthy failing is degraded, two is fail', () => {
    const oneOfTwo = judge(round({ alpha: down(), beta: up, gamma: down() }), 'majority', ['gamma']);
    expect(oneOfTwo).toMatchObject({ verdict: 'degraded', counted: ['alpha', 'beta'], failing: ['alpha'] });
    const twoOfTwo = judge(round({ alpha: down(), beta: down(), gamma: up }), 'majority', ['gamma']);
    expect(twoOfTwo).toMatchObject({ verdict: 'fail', failing: ['alpha', 'beta'] });
  });

  it('falls back to every reporter when all of them are impaired', () => {
    const verdict = judge(round({ beta: down(), gamma: down() }), 'majority', ['beta', 'gamma']);
    expect(verdict).toMatchObject({ verdict: 'fail', counted: ['beta', 'gamma'], failing: ['beta', 'gamma'] });
    expect(judge(round({ gamma: up }), 'majority', ['gamma'])).toMatchObject({ verdict: 'ok', counted: ['gamma'] });
  });

  it('ignores an impaired vantage being slow', () => {
    const verdict = judge(round({ alpha: up, beta: up, gamma: { ok: true, slow: true } }), 'majority', ['gamma']);
    expect(verdict?.verdict).toBe('ok');
  });
});

describe('judgeRound: degraded without failures', () => {
  it('a slow vantage makes an otherwise good round degraded', () => {
    expect(judge(round({ alpha: up, beta: { ok: true, slow: true } }))?.verdict).toBe('degraded');
  });

  it('a failing address makes an otherwise good round degraded', () => {
    expect(judge(round({ alpha: { ok: true, badAddresses: 1 }, beta: up }))?.verdict).toBe('degraded');
  });

  it('a quorum of failures is still fail when others are slow', () => {
    expect(judge(round({ alpha: down(), beta: down(), gamma: { ok: true, slow: true } }))?.verdict).toBe('fail');
  });
});

describe('judgeRound: solo failures', () => {
  it('two vantages: the one failing while the other is up', () => {
    expect(judge(round({ alpha: down(), beta: up }))?.soloFailures).toEqual(['alpha']);
    expect(judge(round({ alpha: down(), beta: down() }))?.soloFailures).toEqual([]);
  });

  it('three vantages: only a vantage whose two peers are up', () => {
    expect(judge(round({ alpha: up, beta: up, gamma: down() }))?.soloFailures).toEqual(['gamma']);
    expect(judge(round({ alpha: up, beta: down(), gamma: down() }))?.soloFailures).toEqual([]);
  });

  it('a lone reporter is never a solo failure', () => {
    expect(judge(round({ alpha: down() }))?.soloFailures).toEqual([]);
  });

  it('still counts an impaired vantage failing alone (so it can be judged healthy again later)', () => {
    const verdict = judge(round({ alpha: up, beta: up, gamma: down() }), 'majority', ['gamma']);
    expect(verdict?.soloFailures).toEqual(['gamma']);
  });
});

describe('judgeRound: the error reported', () => {
  it('is the most common error among the counted failures, with one of its messages', () => {
    const verdict = judge(
      round({
        alpha: down('dns', 'no such host'),
        beta: down('connect_refused', 'refused from beta'),
        gamma: down('connect_refused', 'refused from gamma'),
      }),
    );
    expect(verdict).toMatchObject({ error: 'connect_refused', message: 'refused from beta' });
  });

  it('leaves out the errors of impaired vantages and of a round without failures', () => {
    const verdict = judge(round({ alpha: down('dns', 'no such host'), beta: up, gamma: down('timeout') }), 'majority', [
      'gamma',
    ]);
    expect(verdict).toMatchObject({ error: 'dns', message: 'no such host' });
    const clean = judge(round({ alpha: up, beta: up }));
    expect(clean?.error).toBeUndefined();
    expect(clean?.message).toBeUndefined();
  });
});

describe('toRoundOutcome', () => {
  it('keeps what judging needs: ok, error, a short message, slowness, failing addresses', () => {
    const address = { ok: true, timings: { total: 5 }, address: '10.0.0.1' };
    const outcome = toRoundOutcome(
      sampleResult({
        ok: true,
        slow: true,
        message: 'x'.repeat(500),
        addresses: [address, { ...address, ok: false, error: 'timeout', address: '10.0.0.2' }],
      }),
    );
    expect(outcome).toEqual({
      ok: true,
      slow: true,
      message: 'x'.repeat(300),
      badAddresses: 1,
      addresses: { '10.0.0.1': true, '10.0.0.2': 'timeout' },
    });
    expect(toRoundOutcome(sampleResult({ ok: false, error: 'tls' }))).toEqual({ ok: false, error: 'tls' });
  });
});
