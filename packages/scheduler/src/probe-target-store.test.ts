import { decodeStoredTarget, encodeStoredTarget } from '@vigil/core';
import { type TestContext, testContext } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NamedTargets, ProbeTargetStore } from './probe-target-store.js';

const TARGETS = 600;

describe('ProbeTargetStore.repair, thorough', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await testContext('probe-target-store');
  });
  afterEach(async () => {
    await ctx.cleanup();
  });

  /** What the plan names for `alpha` (one Redis: one shard), with the count a plan keeps. */
  function named(ids: readonly string[]): NamedTargets {
    const byId = new Map(ids.map((id) => [id, JSON.stringify({ id, timeoutMs: 5_000 })]));
    return { keys: () => byId.keys(), get: (id) => byId.get(id), shardCounts: () => [byId.size] };
  }

  async function stored(): Promise<Map<string, string | undefined>> {
    const values = await ctx.redis.hgetallBuffer(ctx.keys.probeTargets('alpha', 0));
    return new Map(Object.entries(values).map(([id, value]) => [id, decodeStoredTarget(value)]));
  }

  it('verifies a budget of values each time, going on where it left off, until every one is verified', async () => {
    const ids = Array.from({ length: TARGETS }, (_, i) => `c${i}`);
    const targets = named(ids);
    // Every value stale (a scheduler that lost its lease wrote after the leader), the counts right.
    await ctx.redis.hset(
      ctx.keys.probeTargets('alpha', 0),
      Object.fromEntries(ids.map((id) => [id, encodeStoredTarget(JSON.stringify({ id, timeoutMs: 1_234 }))])),
    );
    const store = new ProbeTargetStore(ctx, 100);
    const byMap = new Map([['alpha', targets]]);
    const first = await store.repair(byMap, ['alpha'], 1, true);
    // HSCAN's COUNT is a hint: about a budget's worth, never the whole store at once.
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(TARGETS / 2);
    let fixed = first;
    for (let i = 0; i < 20 && fixed < TARGETS; i++) fixed += await store.repair(byMap, ['alpha'], 1, true);
    expect(fixed).toBe(TARGETS);
    for (const [id, json] of await stored()) expect(json, id).toBe(targets.get(id));
    // A repair that is not thorough reads no value: with the counts right, it changes nothing.
    await ctx.redis.hset(ctx.keys.probeTargets('alpha', 0), 'c1', encodeStoredTarget('{"id":"c1"}'));
    expect(await store.repair(byMap, ['alpha'], 1, false)).toBe(0);
  });

  it('removes a value no slot names that verification finds, then writes the one missing beside it', async () => {
    const targets = named(['a', 'b']);
    // The counts agree (two named, two held), so only verification sees `x` stands where `b` should.
    await ctx.redis.hset(ctx.keys.probeTargets('alpha', 0), {
      a: encodeStoredTarget(targets.get('a') ?? ''),
      x: encodeStoredTarget('{"id":"x"}'),
    });
    const store = new ProbeTargetStore(ctx);
    const byMap = new Map([['alpha', targets]]);
    expect(await store.repair(byMap, ['alpha'], 1, false)).toBe(0);
    expect(await store.repair(byMap, ['alpha'], 1, true)).toBe(1);
    expect([...(await stored()).keys()]).toEqual(['a']);
    expect(await store.repair(byMap, ['alpha'], 1, false)).toBe(1);
    expect(await stored()).toEqual(
      new Map([
        ['a', targets.get('a')],
        ['b', targets.get('b')],
      ]),
    );
  });
});
