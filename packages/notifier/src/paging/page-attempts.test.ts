import { T0, type TestContext, testContext } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PageAttempts } from './page-attempts.js';

describe('page attempts (real Redis)', () => {
  let base: TestContext;
  let attempts: PageAttempts;
  const key = 'inc-1-1-0-0-person-ana';

  beforeEach(async () => {
    base = await testContext('page-attempts', { clock: { now: () => T0 } });
    attempts = new PageAttempts(base);
  });
  afterEach(async () => {
    await base.cleanup();
  });

  it('records the attempt before the send, and a sent page is never begun again', async () => {
    const start = await attempts.begin(key, key);
    expect(start.verdict).toBe('first');
    expect(await attempts.read(key)).toMatchObject({ job: key, attempts: 1, inDoubt: 0, open: true });
    if (start.verdict !== 'first') return;
    await attempts.sent(
      { key, attemptId: start.attemptId, incidentId: 'inc-1' },
      { field: 'person:ana', value: '{"type":"person"}' },
    );
    expect(await attempts.read(key)).toMatchObject({ open: false, sentAt: base.clock.now() });
    expect(await base.redis.hgetall(base.keys.incidentPaged('inc-1'))).toEqual({ 'person:ana': '{"type":"person"}' });
    expect(await attempts.begin(key, key)).toEqual({ verdict: 'sent' });
  });

  it('a failure the sender saw closes the attempt: the retry is a clean attempt, not in doubt', async () => {
    const first = await attempts.begin(key, key);
    if (first.verdict !== 'first') throw new Error(`expected a first attempt, got ${first.verdict}`);
    await attempts.failed({ key, attemptId: first.attemptId, incidentId: 'inc-1' });
    expect((await attempts.begin(key, key)).verdict).toBe('first');
    expect(await attempts.read(key)).toMatchObject({ attempts: 2, inDoubt: 0 });
  });

  it('an attempt left open is in doubt: resent once, and a second doubt gives up for good', async () => {
    expect((await attempts.begin(key, key)).verdict).toBe('first');
    // The sender went silent; the job is taken up again.
    expect(await attempts.begin(key, key)).toMatchObject({ verdict: 'in-doubt', inDoubt: 1 });
    // The resend's sender went silent too.
    expect(await attempts.begin(key, key)).toEqual({ verdict: 'give-up', inDoubt: 2 });
    expect(await attempts.begin(key, key)).toEqual({ verdict: 'give-up', inDoubt: 2 });
    expect(await attempts.read(key)).toMatchObject({
      attempts: 2,
      inDoubt: 2,
      open: false,
      gaveUpAt: base.clock.now(),
    });
  });

  it('the stalled sender finishing late marks the page sent, and stops a further resend', async () => {
    const stalled = await attempts.begin(key, key);
    const takeover = await attempts.begin(key, key);
    if (stalled.verdict !== 'first' || takeover.verdict !== 'in-doubt') throw new Error('unexpected verdicts');
    await attempts.sent({ key, attemptId: stalled.attemptId, incidentId: 'inc-1' });
    // The stalled sender's late failure report must not close the takeover's attempt either.
    await attempts.failed({ key, attemptId: stalled.attemptId, incidentId: 'inc-1' });
    expect(await attempts.begin(key, key)).toEqual({ verdict: 'sent' });
  });

  it('one page has one owning job: another job reaching it leaves it to the owner', async () => {
    expect((await attempts.begin('late-key', 'job-level-1')).verdict).toBe('first');
    expect(await attempts.begin('late-key', 'job-level-2')).toEqual({ verdict: 'owned', owner: 'job-level-1' });
  });

  it('returns the incident status as the page is marked sent', async () => {
    await base.redis.hset(base.keys.incident('inc-9'), 'status', 'resolved');
    const start = await attempts.begin(key, key);
    if (start.verdict !== 'first') throw new Error('expected a first attempt');
    expect(await attempts.sent({ key, attemptId: start.attemptId, incidentId: 'inc-9' })).toBe('resolved');
    expect(await attempts.sent({ key, attemptId: start.attemptId, incidentId: 'inc-missing' })).toBeUndefined();
  });
});
