import { createLogger, validateConfig } from '@vigil/core';
import { startRedisCluster, T0, testContext } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { testNotifierContext } from '../testing.js';
import { judgeRound, type RoundOutcome } from './round-verdict.js';
import { VantageHealth } from './vantage-health.js';

const VANTAGES = ['alpha', 'beta', 'gamma'];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Vantage health on its own prefix with a hand-driven clock (the default window, 1 min: buckets of 30 s). */
async function health(options: { redisUrl?: string } = {}) {
  const clock = { t: T0, now: (): number => clock.t };
  const base = await testContext('observations', { clock, log: createLogger({ level: 'silent' }), ...options });
  cleanups.push(base.cleanup);
  const ctx = testNotifierContext(base, { config: validateConfig({ vantages: VANTAGES }, 'test config') });
  return { ctx, clock, health: new VantageHealth(ctx) };
}

/** Every vantage's keys, as Redis holds them: solo zsets, and each seen bucket's count by its start. */
async function sets(w: Awaited<ReturnType<typeof health>>) {
  const out: Record<string, string[] | Record<string, number>> = {};
  for (const vantage of VANTAGES) {
    const stem = w.ctx.keys.vantageSeenBucket(vantage, 0).slice(0, -1);
    const buckets: Record<string, number> = {};
    for (const key of await w.ctx.redis.keys(`${stem}*`))
      buckets[key.slice(stem.length)] = await w.ctx.redis.pfcount(key);
    out[`seen:${vantage}`] = buckets;
    out[`solo:${vantage}`] = await w.ctx.redis.zrange(w.ctx.keys.vantageSolo(vantage), 0, -1, 'WITHSCORES');
  }
  return out;
}

/** A decided round of `checkId` (alpha, beta, gamma: U up, D down, - none). */
function decided(checkId: string, round: number, pattern: string) {
  const outcomes = new Map<string, RoundOutcome>();
  VANTAGES.forEach((vantage, i) => {
    if (pattern[i] !== '-') outcomes.set(vantage, { ok: pattern[i] === 'U' });
  });
  const verdict = judgeRound(outcomes, { quorum: 'majority', impaired: new Set() });
  if (!verdict) throw new Error('a round without reporters');
  return { ref: { checkId, round }, verdict };
}

/** Each vantage's `seen` as `status()` reports it. */
async function seen(w: Awaited<ReturnType<typeof health>>) {
  return Object.fromEntries((await w.health.status()).map((s) => [s.vantage, s.seen]));
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
      patterns.map((pattern, k) => decided(checkId, T0 + k * 30_000 + c, pattern)),
    );
    rounds.sort((a, b) => a.ref.round - b.ref.round);
    const one = await health();
    const batched = await health();
    // Every round in the window, so every bucket is written.
    for (const w of [one, batched]) w.clock.t = T0 + 60_000;
    const buckets = new Set(rounds.map(({ ref }) => Math.floor(ref.round / 30_000))).size;
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
    // Per vantage: a PFADD and a PEXPIRE a bucket, after a SET of the empty dense HLL (the first
    // write of each bucket by this process), at most three commands for the solo failures.
    expect(pipeline.length).toBeLessThanOrEqual(VANTAGES.length * (3 * buckets + 3));
    await pipeline.exec();
    const expected = await sets(one);
    expect(Object.values(expected).some((members) => members.length > 0)).toBe(true);
    expect(await sets(batched)).toEqual(expected);
    expect(await seen(batched)).toEqual(await seen(one));
  });
});

describe('VantageHealth: checks seen in the window', () => {
  it('counts a check reported many times in the window once, and stops counting buckets older than the window', async () => {
    const w = await health();
    // c0 every 5 s for a minute (in every bucket, batched and not), c1 once.
    const observations = w.health.observations();
    for (let k = 0; k < 12; k++) {
      const { ref, verdict } = decided('c0', T0 + k * 5_000, 'UUU');
      if (k % 2 === 0) await w.health.observe(ref, verdict);
      else await w.health.observe(ref, verdict, observations);
    }
    const once = decided('c1', T0 + 1_000, 'UU-');
    await w.health.observe(once.ref, once.verdict, observations);
    const pipeline = w.ctx.redis.pipeline();
    observations.queue(pipeline);
    await pipeline.exec();
    w.clock.t = T0 + 59_000;
    expect(await seen(w)).toEqual({ alpha: 2, beta: 2, gamma: 1 });
    // Each bucket key lives until its end leaves the window, and no longer.
    const ttl = await w.ctx.redis.pttl(w.ctx.keys.vantageSeenBucket('alpha', T0));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000 + 60_000);

    // c2 later. c1's bucket (T0 to T0 + 30 s) has left the window; c0's last (T0 + 30 s to 60 s) has not.
    w.clock.t = T0 + 100_000;
    const later = decided('c2', T0 + 100_000, 'UUU');
    await w.health.observe(later.ref, later.verdict);
    expect(await seen(w)).toEqual({ alpha: 2, beta: 2, gamma: 2 });
    // The window starts where c0's last bucket ends: c2 alone.
    w.clock.t = T0 + 120_000;
    expect(await seen(w)).toEqual({ alpha: 1, beta: 1, gamma: 1 });
    // A round decided after its bucket left the window writes nothing (the key, still in Redis, unchanged).
    const first = w.ctx.keys.vantageSeenBucket('alpha', T0);
    expect(await w.ctx.redis.pfcount(first)).toBe(2);
    const stale = decided('c3', T0 + 10_000, 'UUU');
    await w.health.observe(stale.ref, stale.verdict);
    expect(await w.ctx.redis.pfcount(first)).toBe(2);
    expect(await seen(w)).toEqual({ alpha: 1, beta: 1, gamma: 1 });
  });

  it('counts the sorted set a notifier before the buckets kept until it empties, then the buckets alone', async () => {
    const w = await health();
    // The layout before: every check alpha reported, by its latest round.
    const old = Array.from({ length: 5 }, (_, i) => [T0 - 10_000 + i, `old-${i}`]).flat();
    await w.ctx.redis.zadd(w.ctx.keys.vantageSeen('alpha'), ...old);
    const fresh = decided('new-0', T0, 'UUU');
    await w.health.observe(fresh.ref, fresh.verdict);
    expect(await seen(w)).toEqual({ alpha: 5, beta: 1, gamma: 1 });
    // A window on, the zset is trimmed empty (Redis drops it) and the buckets count alone.
    w.clock.t = T0 + 60_000;
    const next = decided('new-1', T0 + 60_000, 'UUU');
    await w.health.observe(next.ref, next.verdict);
    expect(await seen(w)).toEqual({ alpha: 2, beta: 2, gamma: 2 });
    expect(await w.ctx.redis.exists(w.ctx.keys.vantageSeen('alpha'))).toBe(0);
  });

  it('weighs solo failures against the checks seen: 3 of 10 leave a vantage fine, 6 of 10 impair it', async () => {
    const w = await health();
    w.clock.t = T0 + 1_000;
    await w.ctx.redis.hset(w.ctx.keys.vantageHeartbeats, Object.fromEntries(VANTAGES.map((v) => [v, w.clock.t])));
    for (let i = 0; i < 10; i++) {
      const { ref, verdict } = decided(`c${i}`, T0, i < 3 ? 'UUD' : 'UUU');
      await w.health.observe(ref, verdict);
    }
    await w.health.tick();
    expect(w.health.impaired().size).toBe(0);
    for (let i = 3; i < 6; i++) {
      const { ref, verdict } = decided(`c${i}`, T0 + 500, 'UUD');
      await w.health.observe(ref, verdict);
    }
    await w.health.tick();
    expect([...w.health.impaired()]).toEqual(['gamma']);
    const [fleet] = await w.ctx.incidents.listOpen();
    expect(fleet?.title).toBe('vantage gamma impaired: 6 of 10 checks failing only there');
  });

  it('judges on with a seen bucket unreadable as a HyperLogLog (corrupt, or another type), counting what it can', async () => {
    const w = await health();
    w.clock.t = T0 + 1_000;
    await w.ctx.redis.hset(w.ctx.keys.vantageHeartbeats, Object.fromEntries(VANTAGES.map((v) => [v, w.clock.t])));
    const bucket = Math.floor(T0 / 30_000) * 30_000;
    await w.ctx.redis.set(w.ctx.keys.vantageSeenBucket('gamma', bucket), 'not a HyperLogLog');
    for (let i = 0; i < 6; i++) {
      const { ref, verdict } = decided(`c${i}`, T0, 'UUD');
      await w.health.observe(ref, verdict).catch(() => undefined);
    }
    // gamma's checks seen cannot be counted: no fewer than its solo failures, so it is impaired.
    await w.health.tick();
    expect([...w.health.impaired()]).toEqual(['gamma']);
    expect((await w.health.status()).find((s) => s.vantage === 'gamma')).toMatchObject({ seen: 6, solo: 6 });
  });

  it('counts the buckets of a vantage in one PFCOUNT on a 3-master Redis Cluster (its buckets share a slot)', async () => {
    const cluster = await startRedisCluster();
    cleanups.push(() => cluster.stop());
    const w = await health({ redisUrl: cluster.url });
    const observations = w.health.observations();
    // Rounds over three buckets, checks over every shard.
    for (let i = 0; i < 30; i++) {
      const { ref, verdict } = decided(`check-${i}`, T0 + (i % 3) * 15_000, i % 2 === 0 ? 'UUU' : 'UU-');
      await w.health.observe(ref, verdict, observations);
    }
    const pipeline = w.ctx.redis.pipeline();
    observations.queue(pipeline);
    expect((await pipeline.exec())?.filter(([err]) => err)).toEqual([]);
    w.clock.t = T0 + 45_000;
    expect(await seen(w)).toEqual({ alpha: 30, beta: 30, gamma: 15 });
  }, 60_000);
});

describe('VantageHealth: seen buckets start as dense HyperLogLogs', () => {
  const bucket = Math.floor(T0 / 30_000) * 30_000;
  /** Redis's encoding byte of an HLL: 0 dense, 1 sparse. */
  const encoding = async (w: Awaited<ReturnType<typeof health>>, key: string) =>
    (await w.ctx.redis.getrangeBuffer(key, 4, 4))[0];

  /** Observes checks `from` to `to` − 1 in one batch (all three vantages up) at rounds in `bucket`. */
  async function batch(w: Awaited<ReturnType<typeof health>>, from: number, to: number) {
    const observations = w.health.observations();
    for (let i = from; i < to; i++) {
      const { ref, verdict } = decided(`c${i}`, bucket + (i % 20) * 1_000, 'UUU');
      await w.health.observe(ref, verdict, observations);
    }
    const pipeline = w.ctx.redis.pipeline();
    observations.queue(pipeline);
    expect((await pipeline.exec())?.filter(([err]) => err)).toEqual([]);
  }

  it('writes a bucket dense from its first batch, counts as before, and sets its expiry', async () => {
    const w = await health();
    w.clock.t = bucket + 20_000;
    // 1,000 distinct checks in batches of 200, 300 of them reported twice.
    for (let from = 0; from < 1_000; from += 200) await batch(w, from, from + 200);
    await batch(w, 200, 500);
    const key = w.ctx.keys.vantageSeenBucket('alpha', bucket);
    expect(await encoding(w, key)).toBe(0);
    expect(await w.ctx.redis.strlen(key)).toBe(16 + 12_288);
    const counts = await seen(w);
    for (const vantage of VANTAGES) expect(Math.abs((counts[vantage] ?? 0) - 1_000)).toBeLessThanOrEqual(30);
    // Small sets count exactly, as a sparse HLL's did.
    const small = await health();
    small.clock.t = bucket + 20_000;
    await batch(small, 0, 40);
    expect(await encoding(small, small.ctx.keys.vantageSeenBucket('beta', bucket))).toBe(0);
    expect(await seen(small)).toEqual({ alpha: 40, beta: 40, gamma: 40 });
    const ttl = await w.ctx.redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(bucket + 30_000 + 60_000 - w.clock.t);
  });

  it('sends the empty dense HLL once a bucket and process: a bucket made sparse since is left, and counted', async () => {
    const w = await health();
    w.clock.t = bucket + 20_000;
    await batch(w, 0, 10);
    const key = w.ctx.keys.vantageSeenBucket('alpha', bucket);
    expect(await encoding(w, key)).toBe(0);
    // The key replaced by a sparse HLL (as if it had expired and been written again elsewhere).
    await w.ctx.redis.del(key);
    await w.ctx.redis.pfadd(key, 'elsewhere');
    await batch(w, 10, 20);
    expect(await encoding(w, key)).toBe(1);
    expect(await w.ctx.redis.pfcount(key)).toBe(11);
    // Another notifier's process, writing these buckets for its first time: beta's, gone since this
    // process wrote it, it makes dense; alpha's, there (sparse), it leaves as it is, and counted.
    const betaKey = w.ctx.keys.vantageSeenBucket('beta', bucket);
    await w.ctx.redis.del(betaKey);
    const other = new VantageHealth(w.ctx);
    const observations = other.observations();
    const { ref, verdict } = decided('from-other', bucket, 'UUU');
    await other.observe(ref, verdict, observations);
    const pipeline = w.ctx.redis.pipeline();
    observations.queue(pipeline);
    await pipeline.exec();
    expect(await encoding(w, betaKey)).toBe(0);
    expect(await w.ctx.redis.pfcount(betaKey)).toBe(1);
    expect(await encoding(w, key)).toBe(1);
    expect(await w.ctx.redis.pfcount(key)).toBe(12);
  });

  it('leaves a bucket another notifier wrote first (sparse), counting it with dense ones', async () => {
    const w = await health();
    // alpha's first bucket written sparse by a notifier before this one; the next bucket dense by this one.
    const first = w.ctx.keys.vantageSeenBucket('alpha', bucket);
    await w.ctx.redis.pfadd(first, 'before-0', 'before-1', 'c0');
    await w.ctx.redis.pexpire(first, 90_000);
    w.clock.t = bucket + 20_000;
    await batch(w, 0, 5);
    expect(await encoding(w, first)).toBe(1);
    expect(await w.ctx.redis.pfcount(first)).toBe(7);
    w.clock.t = bucket + 50_000;
    const next = decided('c-next', bucket + 40_000, 'UUU');
    await w.health.observe(next.ref, next.verdict);
    expect(await encoding(w, w.ctx.keys.vantageSeenBucket('alpha', bucket + 30_000))).toBe(0);
    // PFCOUNT over the sparse and the dense key: their union.
    expect(await seen(w)).toEqual({ alpha: 8, beta: 6, gamma: 6 });
  });
});
