/**
 * The deployment guide's Redis ACL for a remote prober, run for real: a prober process logged in as
 * that user probes and reports, and the same user is refused everything else Vigil keeps in Redis.
 */
import { createRedis } from '@vigil/core';
import { TEST_REDIS_URL } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from './support/fleet.js';
import { guideAcl, resultsFrom, spawnProber } from './support/prober-acl.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';
import type { VigilProcess } from './support/vigil-process.js';

describe('a remote prober with the Redis user the deployment guide gives it', () => {
  let fleet: Fleet;
  let target: HttpTarget;
  let prober: VigilProcess | undefined;
  const user = `prober-acl-${process.pid}-${Date.now()}`;

  beforeEach(async () => {
    fleet = await startFleet(['alpha']);
    target = await startHttpTarget();
  });

  afterEach(async () => {
    prober?.child.kill('SIGTERM');
    await prober?.exited;
    await fleet.redis.call('ACL', 'DELUSER', user);
    await target.close();
    await fleet.close();
  });

  it('probes and reports, and cannot read checks, tokens or the secret, nor another vantage’s queue or probe targets', async () => {
    const password = 'acl-test-password-0123';
    const acl = await guideAcl({ prefix: fleet.prefix, vantage: 'alpha', password });
    await fleet.redis.call('ACL', 'SETUSER', user, ...acl);

    const url = new URL(TEST_REDIS_URL);
    url.username = user;
    url.password = password;
    prober = await spawnProber(fleet, 'alpha', url.toString());
    const history = await resultsFrom(fleet, prober, 'alpha', target.url);
    expect(history.every((result) => result.vantage === 'alpha' && result.ok)).toBe(true);
    expect(prober.output()).not.toContain('NOPERM');

    const limited = createRedis(url.toString(), { name: 'acl-probe' });
    try {
      for (const key of [
        fleet.keys.checks,
        fleet.keys.tokens,
        fleet.keys.generatedSecret,
        `${fleet.prefix}:probe.beta:wait`,
      ]) {
        await expect(limited.type(key), key).rejects.toThrow(/NOPERM/);
      }
      // The probe targets of another vantage it can neither read nor change (its own it reads: it probed).
      const beta = fleet.keys.probeTargets('beta', 0);
      await fleet.redis.hset(beta, 'secret-check', '{}');
      await expect(limited.hget(beta, 'secret-check')).rejects.toThrow(/NOPERM/);
      await expect(limited.hset(beta, 'api', '{}')).rejects.toThrow(/NOPERM/);
      await expect(limited.call('KEYS', '*')).rejects.toThrow(/NOPERM/);
      await expect(limited.call('FLUSHALL')).rejects.toThrow(/NOPERM/);
    } finally {
      limited.disconnect();
    }
  }, 60_000);
});
