import { createLogger } from '@vigil/core';
import { T0, testContext } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { testNotifierContext } from '../testing.js';
import { judgeRound, type RoundOutcome } from './round-verdict.js';
import { VantageHealth } from './vantage-health.js';

const VANTAGES = ['alpha', 'beta', 'gamma'];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function health() {
  const base = await testContext('observations', { log: createLogger({ level: 'silent' }) });
  cleanups.push(base.cleanup);
  const ctx = testNotifierContext(base);
  return { ctx, health: new VantageHealth(ctx) };
}

/** Every vantage's sets, as Redis holds them. */
async function sets(w: Awaited<ReturnType<typeof health>>) {
  const out: Record<string, string[]> = {};
  for (const vantage of VANTAGES) {
    out[`seen:${vantage}`] = await w.ctx.redis.zrange(w.ctx.keys.vantageSeen(vantage), 0, -1, 'WITHSCORES');
    out[`solo:${vantage}`] = await w.ctx.redis.zrange(w.ctx.keys.vantageSolo(vantage), 0, -1, 'WITHSCORES');
  }
  return out;
}

describe('VantageHealth: a batch of observations', () => {
  it('leaves the same sets as observing each round on its own, in order', async () => {
    // Each check's rounds in turn (alpha, beta, gamma: U up, D down, - none): gamma failing alone,
    // then with the others (its solo entry bumped only if present), up again, and so on.
    const sequences: Record<string, string[]> = {
      c0: ['UUD', 'DDD'],
      c1: ['UUU', 'DDD'],
      c2: ['DDD', 'DD-'],
      c3: ['DDD'],
      c4: ['UUD', 'UUU'],
      c5: ['UUD', 'DDD', 'UUU', 'DDD', 'UUD'],
      c6: ['DUU', 'DD-', 'UDU', 'DDD'],
    };
    const rounds = Object.entries(sequences).flatMap(([checkId, patterns], c) =>
      patterns.map((pattern, k) => {
        const outcomes = new Map<string, RoundOutcome>();
        VANTAGES.forEach((vantage, i) => {
          if (pattern[i] !== '-') outcomes.set(vantage, { ok: pattern[i] === 'U' });
        });
        const verdict = judgeRound(outcomes, { quorum: 'majority', impaired: new Set() });
        if (!verdict) throw new Error('a round without reporters');
        return { ref: { checkId, round: T0 + k * 30_000 + c }, verdict };
      }),
    );
    rounds.sort((a, b) => a.ref.round - b.ref.round);
    const one = await health();
    const batched = await health();
    // Solo failures from before the batch, so bumping only present members is put to the test.
    for (const w of [one, batched]) {
      await w.ctx.redis.zadd(w.ctx.keys.vantageSolo('gamma'), T0 - 1, 'c1', T0 - 1, 'c3');
      await w.ctx.redis.zadd(w.ctx.keys.vantageSolo('alpha'), T0 - 1, 'c6');
    }
    for (const { ref, verdict } of rounds) await one.health.observe(ref, verdict);
    const observations = batched.health.observations();
    for (const { ref, verdict } of rounds) await batched.health.observe(ref, verdict, observations);
    const pipeline = batched.ctx.redis.pipeline();
    observations.queue(pipeline);
    expect(pipeline.length).toBeLessThanOrEqual(VANTAGES.length * 4);
    await pipeline.exec();
    const expected = await sets(one);
    expect(Object.values(expected).some((members) => members.length > 0)).toBe(true);
    expect(await sets(batched)).toEqual(expected);
  });
});
