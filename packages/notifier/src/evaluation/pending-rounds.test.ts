import { createLogger, type Logger, type ResultJobData, readUptime, redisKeys, validateConfig } from '@vigil/core';
import { roundResult, T0, testContext } from '@vigil/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testEvaluation, testNotifierContext } from '../testing.js';
import { RoundBook } from './round-book.js';

const VANTAGES = ['alpha', 'beta', 'gamma'] as const;
const INTERVAL = 30_000;
/** Timeout (10s) + roundGrace (2s). */
const DEADLINE = 12_000;
const R = (k: number) => T0 + k * INTERVAL;
const ids = ['c1', 'c2', 'c3', 'c4'];
const config = validateConfig(
  {
    vantages: [...VANTAGES],
    defaults: { interval: '30s', timeout: '10s', confirmations: 2 },
    checks: ids.map((id) => ({ id, name: id, http: { url: `https://${id}.example.com/` } })),
  },
  'pending rounds test config',
);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function world() {
  const clock = { t: R(0), now: (): number => clock.t };
  const base = await testContext('pending', { clock, log: createLogger({ level: 'silent' }) });
  cleanups.push(base.cleanup);
  const ctx = testNotifierContext(base, { config });
  for (const check of config.checks) await ctx.checks.put(check);
  const notifier = async (c = ctx) => (await testEvaluation(c)).evaluator;
  const main = await notifier();
  /** One vantage's batch of round `k` for `checks`, recorded and booked as the recorder does. */
  const send = (k: number, vantage: string, checks: readonly string[], ok: boolean) => {
    clock.t = Math.max(clock.t, R(k) + 1_000);
    const batch: ResultJobData[] = checks.map((id) => ({
      result: roundResult(id, vantage, R(k), ok),
      intervalMs: INTERVAL,
    }));
    return main.recordAndDecide(batch);
  };
  return {
    base,
    ctx,
    clock,
    main,
    send,
    second: () => notifier(testNotifierContext(base.peer(), { config })),
    state: async (id: string) => (await ctx.checkStates.get(id)).state,
    pending: () => base.redis.zrange(base.keys.pendingRounds(0), 0, -1),
  };
}

describe('pending rounds: an entry per recording and deadline, not per round', () => {
  it('decides each round of a shared entry once at its deadline, with two notifiers sweeping, and passes over those that completed', async () => {
    const w = await world();
    for (const vantage of VANTAGES) await w.send(0, vantage, ids, true);
    // Alpha's batch books every round first: one entry for the four; beta's adds nothing.
    await w.send(1, 'alpha', ids, false);
    await w.send(1, 'beta', ids, false);
    expect((await w.pending()).filter((entry) => entry.includes(`|${R(1)}`))).toEqual([
      ids.map((id) => `|${id}|${R(1)}`).join(''),
    ]);
    await w.send(1, 'gamma', ['c1'], false); // c1's round completes and is decided now
    const other = await w.second();
    w.clock.t = R(1) + DEADLINE - 1;
    expect(await w.main.decideDue()).toBe(0);
    w.clock.t = R(1) + DEADLINE;
    const swept = await Promise.all([w.main.decideDue(), other.decideDue()]);
    expect(swept.reduce((a, b) => a + b, 0)).toBe(3);
    expect(await w.main.decideDue()).toBe(0);
    expect(await w.pending()).toEqual([]);
    for (const id of ids) {
      // Each round counted once: 2 rounds, 1 failed.
      expect((await readUptime(w.base, id, w.clock.now()))['24h']).toMatchObject({ rounds: 2, ok: 1, fail: 1 });
      expect(await w.state(id)).toBe('up');
    }
    // A second failing round from two of three vantages: down.
    await w.send(2, 'alpha', ids, false);
    await w.send(2, 'beta', ids, false);
    w.clock.t = R(2) + DEADLINE;
    expect(await w.main.decideDue()).toBe(4);
    for (const id of ids) expect(await w.state(id)).toBe('down');
  });

  it('claims the entries of one round an older notifier left (`<check>|<round>`) and passes over those decided since', async () => {
    const w = await world();
    for (const vantage of VANTAGES) await w.send(0, vantage, ids, true);
    await w.send(1, 'alpha', ids, false);
    await w.send(1, 'beta', ids, false);
    // The layout before: a member a round. c4's round completes after the upgrade (its entry stays).
    const pending = w.ctx.keys.pendingRounds(0);
    await w.base.redis.del(pending);
    for (const id of ids) await w.base.redis.zadd(pending, R(1) + DEADLINE, `${id}|${R(1)}`);
    await w.send(1, 'gamma', ['c4'], false);
    expect(await w.state('c4')).toBe('up');
    w.clock.t = R(1) + DEADLINE;
    expect(await w.main.decideDue()).toBe(3);
    expect(await w.pending()).toEqual([]);
    for (const id of ids) {
      expect((await readUptime(w.base, id, w.clock.now()))['24h']).toMatchObject({ rounds: 2, ok: 1, fail: 1 });
    }
    await w.send(2, 'alpha', ['c1'], false);
    await w.send(2, 'beta', ['c1'], false);
    w.clock.t = R(2) + DEADLINE;
    expect(await w.main.decideDue()).toBe(1);
    expect(await w.state('c1')).toBe('down');
  });

  it('claims whole entries up to a number of rounds a sweep, the first whatever its size', async () => {
    const w = await world();
    await w.send(1, 'alpha', ['c1', 'c2', 'c3'], false);
    await w.send(1, 'alpha', ['c4'], false);
    const due = R(1) + DEADLINE;
    const claimed = async (limit: number) => (await w.ctx.rounds.claimDue(due, limit)).map((r) => r.checkId).sort();
    expect(await claimed(2)).toEqual(['c1', 'c2', 'c3']);
    expect(await claimed(2)).toEqual(['c4']);
    expect(await claimed(2)).toEqual([]);
  });

  it('does not read again the books of rounds this notifier completed when their entry comes due', async () => {
    const w = await world();
    await w.send(1, 'alpha', ['c1', 'c2'], false);
    await w.send(1, 'beta', ['c1', 'c2'], false);
    await w.send(1, 'gamma', ['c1'], false); // c1's round completes here; c2's waits for gamma
    // A book under c1's completed round (as if it were still gathering): read, it would be claimed
    // and decided a second time; this notifier knows the round completed and passes over it unread.
    const book = `\u0001\nalpha\t${JSON.stringify({ ok: false })}`;
    await w.base.redis.hset(w.ctx.keys.latest('c1'), `~b${R(1)}`, book);
    w.clock.t = R(1) + DEADLINE;
    const due = await w.ctx.rounds.claimDue(w.clock.now());
    expect(due.map((round) => round.checkId)).toEqual(['c2']);
    expect(await w.pending()).toEqual([]);
    // Another notifier, which did not complete it, reads it (and claims what a book holds), as before.
    await w.send(2, 'alpha', ['c1'], false);
    await w.base.redis.hset(w.ctx.keys.latest('c1'), `~b${R(2)}`, book);
    const other = testNotifierContext(w.base.peer(), { config });
    expect((await other.rounds.claimDue(R(2) + DEADLINE)).map((round) => round.checkId)).toEqual(['c1']);
  });

  it('applies a batch’s rounds when a vantage’s bookkeeping key is unreadable (a corrupt seen bucket)', async () => {
    const w = await world();
    const bucket = Math.floor(R(1) / 30_000) * 30_000;
    await w.base.redis.set(w.ctx.keys.vantageSeenBucket('alpha', bucket), 'not a HyperLogLog');
    for (const vantage of VANTAGES) await w.send(1, vantage, ids, true);
    for (const id of ids) expect(await w.state(id)).toBe('up');
  });

  it('drains a backlog of completed rounds in one tick and decides the incomplete rounds behind it', async () => {
    const w = await world();
    for (const vantage of VANTAGES) await w.send(0, vantage, ids, true);
    // 2,000 entries of 10 rounds and 2,000 of one (the form before), all completed: books gone.
    const pending = w.ctx.keys.pendingRounds(0);
    const completed: (string | number)[] = [];
    for (let i = 0; i < 2_000; i++) {
      const rounds = Array.from({ length: 10 }, (_, j) => `|c1|${R(-1) - (i * 10 + j) * 1_000}`).join('');
      completed.push(R(-1), rounds, R(-1), `c2|${R(-1) - i * 1_000}`);
    }
    await w.base.redis.zadd(pending, ...completed);
    // Behind them, round 1 of every check waits for gamma past its deadline.
    await w.send(1, 'alpha', ids, false);
    await w.send(1, 'beta', ids, false);
    w.clock.t = R(1) + DEADLINE;
    expect(await w.main.decideDue(5_000)).toBe(4);
    expect(await w.pending()).toEqual([]);
    for (const id of ids) {
      expect((await readUptime(w.base, id, w.clock.now()))['24h']).toMatchObject({ rounds: 2, ok: 1, fail: 1 });
    }
  });

  it('claims the rounds of checks whose `~a` is unreadable, as if none was decided, without a failure', async () => {
    const w = await world();
    const log = { warn: vi.fn() };
    const book = new RoundBook({ redis: w.base.redis, keys: w.ctx.keys, log: log as unknown as Logger });
    await w.send(1, 'alpha', ids, false);
    for (const id of ['c1', 'c2']) await w.base.redis.hset(w.ctx.keys.latest(id), '~a', 'garbage');
    const due = R(1) + DEADLINE;
    expect((await book.claimDue(due)).map((r) => r.checkId).sort()).toEqual(ids);
    expect(await w.base.redis.hget(w.ctx.keys.latest('c1'), '~a')).toBe(String(R(1)));
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('keeps the pending entry of a round booked before a result the record script fails on', async () => {
    const w = await world();
    for (const vantage of VANTAGES) await w.send(0, vantage, ids, true);
    await w.base.redis.hset(w.ctx.keys.latest('c2'), '~w', 'x|y|z|w');
    const err = await w.send(1, 'alpha', ['c1', 'c2'], false).catch((e: Error) => e);
    expect(String(err)).toMatch(/result 2/);
    expect((await w.pending()).some((entry) => entry.startsWith(`|c1|${R(1)}`))).toBe(true);
    await w.send(1, 'beta', ['c1'], false);
    w.clock.t = R(1) + DEADLINE;
    expect(await w.main.decideDue()).toBe(1);
    expect((await readUptime(w.base, 'c1', w.clock.now()))['24h']).toMatchObject({ rounds: 2, ok: 1, fail: 1 });
  });

  it('keeps the rounds claimed from the other shards when one shard’s claim reply fails, and says which shard', async () => {
    const base = await testContext('pending-shards', { log: createLogger({ level: 'silent' }) });
    cleanups.push(base.cleanup);
    const keys = redisKeys(base.keys.prefix, { shards: 2 });
    const warn = vi.fn();
    const book = new RoundBook({ redis: base.redis, keys, log: { warn } as unknown as Logger });
    const checks = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    for (const id of checks) {
      await base.redis.hset(keys.latest(id), `~b${R(1)}`, `\u0001\nalpha\t{"ok":false,"error":"timeout"}`);
      await base.redis.zadd(keys.pendingRounds(keys.shardOf(id)), R(1), `|${id}|${R(1)}`);
    }
    const inShard = (shard: number) => checks.filter((id) => keys.shardOf(id) === shard).sort();
    expect(inShard(0).length * inShard(1).length).toBeGreaterThan(0);
    // Shard 1's reply is lost on the way back (its rounds claimed in Redis, as when its script fails).
    const pipeline = base.redis.pipeline.bind(base.redis);
    const spy = vi.spyOn(base.redis, 'pipeline').mockImplementation((...args) => {
      const p = pipeline(...args);
      const exec = p.exec.bind(p);
      p.exec = async () => {
        const replies = await exec();
        const first: unknown = replies?.[0]?.[1];
        if (replies?.length === 2 && Array.isArray(first) && Array.isArray(first[0]))
          replies[1] = [new Error('lost'), null];
        return replies;
      };
      return p;
    });
    const claimed = await book.claimDue(R(1));
    spy.mockRestore();
    expect(claimed.map((r) => r.checkId).sort()).toEqual(inShard(0));
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ shard: 1 }), 'pending rounds not claimed');
  });

  it('on the tick, decides a round booked here at its deadline, even booked after the last read', async () => {
    const w = await world();
    w.clock.t = R(1) + DEADLINE - 500;
    expect(await w.main.decideDueOnTick()).toBe(0); // nothing pending: the next read is a second on at most
    await w.send(1, 'alpha', ['c1'], false); // late results, booked here after that read
    await w.send(1, 'beta', ['c1'], false);
    w.clock.t = R(1) + DEADLINE;
    expect(await w.main.decideDueOnTick()).toBe(1);
    expect(await w.pending()).toEqual([]);
  });

  it('on the tick, decides within a second a round another notifier booked after the last read and left', async () => {
    const w = await world();
    const other = await w.second();
    const late = (vantage: string) => [{ result: roundResult('c1', vantage, R(1), false), intervalMs: INTERVAL }];
    w.clock.t = R(1) + DEADLINE - 500;
    expect(await w.main.decideDueOnTick()).toBe(0);
    await other.recordAndDecide(late('alpha')); // and the other notifier dies before its deadline
    await other.recordAndDecide(late('beta'));
    w.clock.t = R(1) + DEADLINE;
    expect(await w.main.decideDueOnTick()).toBe(0); // not read since: its deadline is unknown here
    w.clock.t = R(1) + DEADLINE + 500;
    expect(await w.main.decideDueOnTick()).toBe(1);
    // One pending when the tick read is decided at its deadline: the read saw when it comes due.
    await other.recordAndDecide([{ result: roundResult('c2', 'alpha', R(2), false), intervalMs: INTERVAL }]);
    w.clock.t = R(2) + DEADLINE - 100;
    expect(await w.main.decideDueOnTick()).toBe(0);
    w.clock.t = R(2) + DEADLINE;
    expect(await w.main.decideDueOnTick()).toBe(1);
  });
});
