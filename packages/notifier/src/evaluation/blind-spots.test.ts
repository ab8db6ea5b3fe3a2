import { createLogger, parseConfig } from '@vigil/core';
import { roundResult, T0, testContext } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotifierContext } from '../notifier-context.js';
import { testEvaluation, testNotifierContext } from '../testing.js';
import { BlindSpots } from './blind-spots.js';

const config = parseConfig(`
vantages: [alpha, beta]
defaults: { interval: 30s, timeout: 10s, confirmations: 2 }
checks:
  - { id: blog, name: Blog, http: { url: "https://blog.example.com/" } }
  - { id: docs, name: Docs, http: { url: "https://docs.example.com/" } }
`);
const INTERVAL = 30_000;
/** blindAfterRounds (3) × interval + timeout (10s) + roundGrace (2s). */
const BLIND_AFTER = 3 * INTERVAL + 12_000;
/** A check is looked at once every half interval. */
const LOOK_EVERY = INTERVAL / 2;
const log = createLogger({ level: 'silent' });
const R = (k: number) => T0 + k * INTERVAL;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One notifier's evaluator and blind sweep, wired as `Notifier` wires them. */
async function notifier(ctx: NotifierContext) {
  const { catalog, evaluator } = await testEvaluation(ctx);
  return { ctx, evaluator, blind: new BlindSpots(ctx, { catalog }) };
}
type Stack = Awaited<ReturnType<typeof notifier>>;

/** Both checks registered, notifier `a` and a second one `b` on a connection of its own, a hand-driven clock. */
async function world() {
  const clock = { t: T0, now: (): number => clock.t };
  const base = await testContext('blind-spots', { clock, log });
  cleanups.push(base.cleanup);
  const ctx = testNotifierContext(base, { config });
  for (const check of config.checks) await ctx.checks.put(check);
  const a = await notifier(ctx);
  const b = await notifier(testNotifierContext(base.peer(), { config }));
  return {
    a,
    b,
    clock,
    ctx,
    /** Round `k` of `checks`, both vantages up, recorded and decided by `by` a second after it was due. */
    async feed(k: number, by: Stack, checks: readonly string[] = ['blog', 'docs']) {
      clock.t = Math.max(clock.t, R(k) + 1_000);
      const batch = checks.flatMap((checkId) =>
        ['alpha', 'beta'].map((vantage) => ({
          result: roundResult(checkId, vantage, R(k), true),
          intervalMs: INTERVAL,
        })),
      );
      await by.evaluator.recordAndDecide(batch);
    },
    async state(checkId: string): Promise<string | undefined> {
      return (await ctx.checkStates.get(checkId)).state;
    },
    async blindMembers(): Promise<string[]> {
      const incident = await ctx.incidents.ofGroup('fleet:blind');
      return incident?.status === 'resolved' ? [] : (incident?.members.map((m) => m.checkId) ?? []);
    },
  };
}

describe('BlindSpots with what this notifier knows of each check', () => {
  it('still marks a check blind when its rounds stop, though this notifier applied the earlier ones', async () => {
    const w = await world();
    for (let k = 0; k <= 5; k++) {
      await w.feed(k, w.a);
      await w.a.blind.tick();
    }
    for (let k = 6; k <= 8; k++) {
      await w.feed(k, w.a, ['docs']);
      await w.a.blind.tick();
    }
    expect(w.clock.now()).toBeLessThan(R(5) + BLIND_AFTER);
    expect(await w.state('blog')).toBe('up');
    await w.feed(9, w.a, ['docs']);
    expect(w.clock.now()).toBeGreaterThan(R(5) + BLIND_AFTER);
    await w.a.blind.tick();
    expect(await w.state('blog')).toBe('unknown');
    expect(await w.state('docs')).toBe('up');
    expect(await w.blindMembers()).toEqual(['blog']);
  });

  it('never marks blind a check whose rounds only the other notifier decides, and does once they stop', async () => {
    const w = await world();
    for (let k = 0; k <= 9; k++) {
      await w.feed(k, w.a);
      await w.b.blind.tick();
      expect(await w.state('blog')).toBe('up');
    }
    expect(w.clock.now()).toBeGreaterThan(R(0) + 2 * BLIND_AFTER);
    expect(await w.blindMembers()).toEqual([]);
    w.clock.t = R(9) + BLIND_AFTER - 1;
    await w.b.blind.tick();
    expect(await w.state('blog')).toBe('up');
    w.clock.t += LOOK_EVERY;
    await w.b.blind.tick();
    expect(await w.state('blog')).toBe('unknown');
    expect(await w.blindMembers()).toEqual(['blog', 'docs']);
  });

  it('with two notifiers each deciding every other round, neither marks a check blind until its rounds stop', async () => {
    const w = await world();
    for (let k = 0; k <= 11; k++) {
      await w.feed(k, k % 2 === 0 ? w.a : w.b, k > 7 ? ['docs'] : ['blog', 'docs']);
      await w.a.blind.tick();
      await w.b.blind.tick();
      if (R(7) + BLIND_AFTER >= w.clock.now()) expect(await w.state('blog')).toBe('up');
    }
    // Blog's last round, 7, was decided by `b`: `a` knew only round 6 of it.
    expect(w.clock.now()).toBeGreaterThan(R(7) + BLIND_AFTER);
    expect(await w.state('blog')).toBe('unknown');
    expect(await w.state('docs')).toBe('up');
    expect(await w.blindMembers()).toEqual(['blog']);
  });

  it('notes a new check first seen, and blind only blindAfterRounds after that', async () => {
    const w = await world();
    await w.a.blind.tick();
    expect(await w.ctx.checkStates.get('blog')).toEqual({ firstSeen: String(T0) });
    w.clock.t = T0 + BLIND_AFTER;
    await w.a.blind.tick();
    expect(await w.state('blog')).toBeUndefined();
    w.clock.t += LOOK_EVERY;
    await w.a.blind.tick();
    expect(await w.state('blog')).toBe('unknown');
  });

  it('leaves Redis alone for a check whose recent round it applied itself, until that round is too old', async () => {
    const w = await world();
    await w.feed(0, w.a);
    await w.feed(1, w.a);
    // Were the sweep to read it, this state would say blind.
    await w.ctx.redis.hset(w.ctx.keys.checkState('blog'), 'lastRound', R(1) - 2 * BLIND_AFTER);
    await w.a.blind.tick();
    expect(await w.state('blog')).toBe('up');
    w.clock.t = R(1) + BLIND_AFTER + 1;
    await w.a.blind.tick();
    expect(await w.state('blog')).toBe('unknown');
  });
});
