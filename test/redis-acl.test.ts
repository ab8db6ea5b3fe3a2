/**
 * The deployment guide's Redis ACL for a remote prober, run for real: a prober process logged in as
 * that user probes and reports, and the same user is refused everything else Vigil keeps in Redis.
 */
import { readFile } from 'node:fs/promises';
import { createRedis } from '@vigil/core';
import { eventually, TEST_REDIS_URL } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkFromYaml, type Fleet, startFleet } from './support/fleet.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';
import { spawnVigil, type VigilProcess, writeConfig } from './support/vigil-process.js';

/** The guide's `ACL SETUSER prober-eu-west …` line, for another prefix, vantage, user and password. */
async function guideAcl(options: {
  prefix: string;
  vantage: string;
  user: string;
  password: string;
}): Promise<string[]> {
  const guide = await readFile(new URL('../docs/deploy.md', import.meta.url), 'utf8');
  const line = guide.split('\n').find((text) => text.startsWith('ACL SETUSER prober-eu-west '));
  if (!line) throw new Error('docs/deploy.md has no `ACL SETUSER prober-eu-west` line');
  return line
    .split(' ')
    .slice(3)
    .map((word) =>
      word
        .replace('prober-eu-west', options.user)
        .replace('>CHANGE-ME', `>${options.password}`)
        .replaceAll('vigil:', `${options.prefix}:`)
        .replace('probe.eu-west', `probe.${options.vantage}`),
    );
}

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

  it('probes and reports, and cannot read checks, tokens or the secret, nor another vantage’s queue', async () => {
    const password = 'acl-test-password-0123';
    const acl = await guideAcl({ prefix: fleet.prefix, vantage: 'alpha', user, password });
    await fleet.redis.call('ACL', 'SETUSER', user, ...acl);

    const url = new URL(TEST_REDIS_URL);
    url.username = user;
    url.password = password;
    const config = await writeConfig('vantages: [alpha]\nallowPrivateTargets: true\n');
    prober = spawnVigil(['prober', '--vantage', 'alpha', '-c', config], {
      env: { REDIS_URL: url.toString(), VIGIL_PREFIX: fleet.prefix },
    });
    await fleet.recorder();
    await fleet.scheduler();
    await fleet.registry.put(
      checkFromYaml(`{ id: api, interval: 1s, timeout: 900ms, http: { url: "${target.url}" } }`, ['alpha']),
    );
    const history = await eventually(
      async () => {
        const results = await fleet.store.history('api');
        return results.length >= 2 ? results : undefined;
      },
      20_000,
      `results from the ACL-limited prober (its output: ${prober.output().slice(0, 500)})`,
    );
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
      await expect(limited.call('KEYS', '*')).rejects.toThrow(/NOPERM/);
      await expect(limited.call('FLUSHALL')).rejects.toThrow(/NOPERM/);
    } finally {
      limited.disconnect();
    }
  }, 60_000);
});
