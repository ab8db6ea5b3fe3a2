import { type TestContext, testContext } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RateGate } from './rate-gate.js';

describe('RateGate', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await testContext('rate-gate');
  });
  afterEach(() => ctx.cleanup());

  it('holds two probers of a vantage to one shared limit, per probe', async () => {
    const options = { window: ctx.keys.proberRateWindow('alpha'), max: 3, perMs: 400 };
    const gates = [new RateGate(ctx.redis, options), new RateGate(ctx.peer().redis, options)];
    const started = Date.now();
    const taken = await Promise.all(
      Array.from({ length: 9 }, async (_, i) => {
        await gates[i % 2]?.take();
        return Date.now() - started;
      }),
    );
    const sorted = taken.sort((a, b) => a - b);
    // Three per window across both gates: any four consecutive permits span (nearly) a whole window.
    for (let i = 0; i + 3 < sorted.length; i++)
      expect((sorted[i + 3] ?? 0) - (sorted[i] ?? 0)).toBeGreaterThanOrEqual(350);
    expect(sorted[2] ?? Infinity).toBeLessThan(350);
  });
});
