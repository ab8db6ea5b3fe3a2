import { createLogger, parseConfig } from '@vigil/core';
import { startRedisCluster, T0, testContext } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FINE_ADDRESS, SICK_ADDRESS, testEvaluation, testNotifierContext, twoAddressResult } from '../testing.js';

const VANTAGES = ['alpha', 'beta', 'gamma'] as const;
const INTERVAL = 30_000;
const R = (k: number) => T0 + k * INTERVAL;
const ids = Array.from({ length: 12 }, (_, i) => `lb-${i}`);
const config = parseConfig(`
vantages: [alpha, beta, gamma]
defaults: { interval: 30s, timeout: 10s, confirmations: 2 }
checks:
${ids.map((id) => `  - { id: ${id}, name: ${id}, alertOn: address, http: { url: "https://${id}.example.com/", allAddresses: true } }`).join('\n')}
`);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('per-address states on a 3-master Redis Cluster', () => {
  it('one batch over checks on every shard keeps each check its own hash under its shard tag, and one outbox per shard', async () => {
    const cluster = await startRedisCluster();
    cleanups.push(() => cluster.stop());
    const clock = { t: T0, now: (): number => clock.t };
    const base = await testContext('addresses', {
      clock,
      log: createLogger({ level: 'silent' }),
      redisUrl: cluster.url,
    });
    cleanups.push(base.cleanup);
    const ctx = testNotifierContext(base, { config });
    for (const check of config.checks) await ctx.checks.put(check);
    const { evaluator } = await testEvaluation(ctx);
    for (const k of [0, 1, 2]) {
      clock.t = R(k) + 1_000;
      await evaluator.onResults(
        ids.flatMap((id) =>
          VANTAGES.map((vantage) => ({ result: twoAddressResult(id, vantage, R(k), k > 0), intervalMs: INTERVAL })),
        ),
      );
    }
    for (const id of ids) {
      expect((await ctx.addressStates.get(id)).map((a) => [a.address, a.state])).toEqual([
        [FINE_ADDRESS, 'up'],
        [SICK_ADDRESS, 'down'],
      ]);
      expect(ctx.keys.addressStates(id)).toContain(`{s${ctx.keys.shardOf(id)}}`);
    }
    const perMaster = await Promise.all(
      cluster.masters.map(async (master) => (await master.keys(`${base.prefix}:*:addresses`)).length),
    );
    expect(perMaster.reduce((a, b) => a + b)).toBe(ids.length);
    expect(perMaster.filter((count) => count > 0).length).toBeGreaterThan(1);
    // Every change was acted on: an incident per check, nothing left in any shard's outbox.
    expect(await ctx.addressStates.pending()).toEqual([]);
    const open = await ctx.incidents.listOpen();
    expect(open.map((incident) => incident.members[0]?.checkId).sort()).toEqual([...ids].sort());
  }, 60_000);
});
