/**
 * The deployment guide's Redis ACL for a remote prober, and a prober process logged in as that user:
 * shared by the ACL tests on a single Redis and on a Cluster.
 */
import { readFile } from 'node:fs/promises';
import type { ProbeResult } from '@vigil/core';
import { eventually } from '@vigil/core/testing';
import { checkFromYaml, type Fleet } from './fleet.js';
import { spawnVigil, type VigilProcess, writeConfig } from './vigil-process.js';

/**
 * The guide's `ACL SETUSER prober-eu-west …` rules (the Cluster line, with hash tags, for `cluster`)
 * for another prefix, vantage and password: what follows the user name.
 */
export async function guideAcl(options: {
  prefix: string;
  vantage: string;
  password: string;
  cluster?: boolean;
}): Promise<string[]> {
  const guide = await readFile(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
  const cluster = options.cluster ?? false;
  const line = guide
    .split('\n')
    .find((text) => text.startsWith('ACL SETUSER prober-eu-west ') && text.includes('{') === cluster);
  if (!line) throw new Error(`docs/deploy.md has no ${cluster ? 'cluster ' : ''}\`ACL SETUSER prober-eu-west\` line`);
  return line
    .split(' ')
    .slice(3)
    .map((word) =>
      word
        .replace('>CHANGE-ME', `>${options.password}`)
        .replaceAll('vigil:', `${options.prefix}:`)
        .replace('probe.eu-west', `probe.${options.vantage}`),
    );
}

/** A `vigil prober` process for `vantage` under the fleet's prefix, on Redis at `redisUrl` (its user in the URL). */
export async function spawnProber(fleet: Fleet, vantage: string, redisUrl: string): Promise<VigilProcess> {
  const config = await writeConfig(`vantages: [${vantage}]\nallowPrivateTargets: true\n`);
  return spawnVigil(['prober', '--vantage', vantage, '-c', config], {
    env: { REDIS_URL: redisUrl, VIGIL_PREFIX: fleet.prefix },
  });
}

/**
 * Runs the fleet's recorder and scheduler with an HTTP check `api` on `targetUrl` for `vantage` alone,
 * and waits for two of its results, which only `prober` can produce.
 */
export async function resultsFrom(
  fleet: Fleet,
  prober: VigilProcess,
  vantage: string,
  targetUrl: string,
): Promise<ProbeResult[]> {
  await fleet.recorder();
  await fleet.scheduler();
  await fleet.registry.put(
    checkFromYaml(`{ id: api, interval: 1s, timeout: 900ms, http: { url: "${targetUrl}" } }`, [vantage]),
  );
  return eventually(
    async () => {
      const results = await fleet.store.history('api');
      return results.length >= 2 ? results : undefined;
    },
    20_000,
    `results from the ACL-limited prober (its output: ${prober.output().slice(0, 500)})`,
  );
}
