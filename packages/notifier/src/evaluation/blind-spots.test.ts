import { createLogger, parseConfig } from '@vigil/core';
import { roundResult, T0, testContext } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotifierContext } from '../notifier-context.js';
import { testEvaluation, testNotifierContext } from '../testing.js';
import { BlindSpots, LookSchedule, nextLook } from './blind-spots.js';

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
  return { ctx, catalog, evaluator, blind: new BlindSpots(ctx, { catalog }) };
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

describe('BlindSpots with checks that come and go', () => {
  it('looks at a check the catalog learns of after it started on its next tick, and forgets a deleted one', async () => {
    const w = await world();
    await w.a.blind.tick();
    const api = parseConfig(`
vantages: [alpha, beta]
defaults: { interval: 30s, timeout: 10s }
checks: [{ id: api, name: API, http: { url: "https://api.example.com/" } }]
`).checks[0];
    if (!api) throw new Error('expected the check');
    w.clock.t += 1_000;
    await w.ctx.checks.put(api);
    await w.a.catalog.reload();
    await w.a.blind.tick();
    expect(await w.ctx.checkStates.get('api')).toEqual({ firstSeen: String(w.clock.t) });

    await w.ctx.checks.delete('blog');
    await w.a.catalog.reload();
    w.clock.t += BLIND_AFTER + LOOK_EVERY;
    await w.a.blind.tick();
    expect((await w.blindMembers()).sort()).toEqual(['api', 'docs']);

    // Registered again under the same id: a new check, looked at on the next tick, first seen now.
    const blog = config.checks.find((check) => check.id === 'blog');
    if (!blog) throw new Error('expected the check');
    await w.ctx.checks.put(blog);
    await w.a.catalog.reload();
    w.clock.t += 1_000;
    await w.a.blind.tick();
    expect(await w.ctx.checkStates.get('blog')).toEqual({ firstSeen: String(w.clock.t) });
  });
});

describe('nextLook', () => {
  it('spreads checks looked at together over the half interval, each within it, then every half interval', () => {
    const interval = 1_200_000;
    const now = T0 + 123_456;
    const next = Array.from({ length: 10_000 }, (_, i) => nextLook(`check-${i}`, now, interval));
    for (const at of next) {
      expect(at).toBeGreaterThan(now);
      expect(at).toBeLessThanOrEqual(now + interval / 2);
    }
    // 60 buckets of 10 s: about 167 each; none holds a crowd.
    const buckets = new Map<number, number>();
    for (const at of next)
      buckets.set(Math.floor((at - now) / 10_000), (buckets.get(Math.floor((at - now) / 10_000)) ?? 0) + 1);
    expect(buckets.size).toBe(60);
    expect(Math.max(...buckets.values())).toBeLessThan(300);
    // Looked at when due, a check's next look is half an interval on, at the same phase.
    const first = nextLook('check-7', now, interval);
    expect(nextLook('check-7', first, interval)).toBe(first + interval / 2);
  });
});

describe('LookSchedule', () => {
  it('gives each id once, at its second, and passes over where an id was before it moved', () => {
    const looks = new LookSchedule();
    looks.at('a', 10_400);
    looks.at('b', 12_000);
    looks.at('c', 11_000);
    looks.at('c', 15_000);
    expect(looks.due(9_999)).toEqual([]);
    expect(looks.due(10_000)).toEqual(['a']);
    expect(looks.due(12_999)).toEqual(['b']);
    expect(looks.due(14_999)).toEqual([]);
    expect(looks.due(15_000)).toEqual(['c']);
    expect(looks.due(20_000)).toEqual([]);
  });

  it('puts an id due at a second already taken at the next one', () => {
    const looks = new LookSchedule();
    expect(looks.due(10_500)).toEqual([]);
    looks.at('a', 9_000);
    looks.at('b', 10_900);
    expect(looks.due(10_999)).toEqual([]);
    expect(looks.due(11_000)).toEqual(['a', 'b']);
  });

  it('moves every id back as far when the clock steps back, keeping their spread', () => {
    const looks = new LookSchedule();
    looks.due(1_000_000);
    looks.at('a', 1_005_000);
    looks.at('b', 1_010_000);
    expect(looks.due(700_000)).toEqual([]);
    expect(looks.due(704_999)).toEqual([]);
    expect(looks.due(705_000)).toEqual(['a']);
    expect(looks.due(710_000)).toEqual(['b']);
  });

  it('gives an id put at a second, moved, and put there again once; one given out and not put again never comes back', () => {
    const looks = new LookSchedule();
    looks.due(1_000_000);
    looks.at('a', 1_005_000);
    looks.at('a', 1_007_000);
    looks.at('a', 1_005_000);
    looks.at('b', 1_005_000);
    expect(looks.due(1_005_000)).toEqual(['a', 'b']);
    expect(looks.due(1_008_000)).toEqual([]);
    // `b` looked at and put again, `a` not (its check gone unheard): a clock step back moves `b` only.
    looks.at('b', 1_009_000);
    expect(looks.due(700_000)).toEqual([]);
    expect(looks.due(709_000)).toEqual(['b']);
    expect(looks.due(800_000)).toEqual([]);
  });

  it('after a long gap takes every second passed, in order, and forgets what it is told to', () => {
    const looks = new LookSchedule();
    looks.due(0);
    looks.at('late', 3_600_000);
    looks.at('early', 5_000);
    looks.at('gone', 7_000);
    looks.forget('gone');
    looks.at('later', 90_000_000);
    expect(looks.due(86_400_000)).toEqual(['early', 'late']);
    expect(looks.due(90_000_000)).toEqual(['later']);
  });
});
