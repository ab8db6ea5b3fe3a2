import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis, parseConfig, probeQueueName, RESULTS_QUEUE } from '@vigil/core';
import {
  deletePrefix,
  eventually,
  freePort,
  startRedisCluster,
  type TestRedisCluster,
  uniquePrefix,
} from '@vigil/core/testing';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from './support/fleet.js';
import { type MailSink, startMailSink } from './support/mail-sink.js';
import { pagingYaml } from './support/paging.js';
import { guideAcl, resultsFrom, spawnProber } from './support/prober-acl.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';
import { runVigil, spawnVigil, type VigilProcess } from './support/vigil-process.js';

const VANTAGES = ['alpha', 'beta', 'gamma'];
const CHECKS = 12;

describe('on a 3-master Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let fleet: Fleet;
  let target: HttpTarget;
  let mail: MailSink;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    fleet = await startFleet(VANTAGES, { redisUrl: cluster.url });
    target = await startHttpTarget();
    mail = await startMailSink();
  });
  afterAll(async () => {
    await fleet?.close();
    await target?.close();
    await mail?.stop();
    await cluster?.stop();
  });

  it('probers → notifier → SMTP: probes, decides rounds, opens an incident and pages, its keys spread over the masters', async () => {
    const checks = Array.from(
      { length: CHECKS },
      (_, i) =>
        `  - { id: api-${i}, name: API ${i}, component: api, interval: 1s, timeout: 800ms, allowPrivateTarget: true, http: { url: "${target.url}?n=${i}" } }`,
    ).join('\n');
    const config = parseConfig(`
vantages: [${VANTAGES.join(', ')}]
components: [{ id: api, name: Public API }]
checks:
${checks}
${pagingYaml()}`);
    for (const check of config.checks) await fleet.registry.put(check);
    await fleet.notifier(config, { smtpUrl: mail.url });
    for (const vantage of VANTAGES) await fleet.prober(vantage);
    await fleet.scheduler();
    for (const check of config.checks)
      await fleet.historyUntil(check.id, (h) => h.filter((r) => r.ok).length >= 3 * VANTAGES.length);
    const states = await Promise.all(
      config.checks.map(async (check) => fleet.redis.hget(fleet.keys.checkState(check.id), 'state')),
    );
    expect(states).toEqual(config.checks.map(() => 'up'));

    const port = target.port;
    await target.close();
    const [page] = await eventually(
      async () => (mail.to('ana@example.test').length > 0 ? mail.to('ana@example.test') : undefined),
      15_000,
      'the first page',
    );
    expect(page?.subject).toMatch(/API|Public API/);
    expect(page?.text).toContain('connect_refused');
    const members = await eventually(
      async () => {
        const ids = (await fleet.incidents.listOpen()).flatMap((incident) => incident.members.map((m) => m.checkId));
        return ids.length === CHECKS ? ids.sort() : undefined;
      },
      15_000,
      'every check in an open incident',
    );
    expect(members).toEqual(config.checks.map((check) => check.id).sort());

    // Per-check keys on more than one master, and each queue in a slot of its own.
    const keysPerMaster = await Promise.all(
      cluster.masters.map(async (master) => (await master.keys(`${fleet.prefix}:{s*}:api-*`)).length),
    );
    expect(keysPerMaster.filter((count) => count > 0).length).toBeGreaterThan(1);
    const queueSlots = await Promise.all(
      VANTAGES.map(probeQueueName).map(
        async (queue) =>
          (await cluster.masters[0]?.call(
            'CLUSTER',
            'KEYSLOT',
            `${fleet.keys.queuePrefix(queue)}:${queue}:wait`,
          )) as number,
      ),
    );
    expect(new Set(queueSlots).size).toBe(VANTAGES.length);
    // Result batches went to the stream of their checks' shard, in that shard's slot, on several masters.
    const slotOf = async (key: string) => (await cluster.masters[0]?.call('CLUSTER', 'KEYSLOT', key)) as number;
    for (const check of config.checks) {
      const stream = fleet.keys.resultStream(fleet.keys.shardOf(check.id));
      const info = (await fleet.redis.xinfo('STREAM', stream)) as unknown[];
      expect(Number(info[info.indexOf('entries-added') + 1])).toBeGreaterThan(0);
      expect(await slotOf(stream)).toBe(await slotOf(fleet.keys.latest(check.id)));
    }
    const streamsPerMaster = await Promise.all(
      cluster.masters.map(async (master) => (await master.keys(`${fleet.prefix}:{s*}:~result-batches`)).length),
    );
    expect(streamsPerMaster.filter((count) => count > 0).length).toBeGreaterThan(1);
    const queueKeys = await Promise.all(
      cluster.masters.map(async (master) => (await master.keys(`${fleet.prefix}:{probe.*}:*`)).length),
    );
    expect(queueKeys.reduce((a, b) => a + b)).toBeGreaterThan(0);

    // The target comes back: the incidents resolve and the on-call hears it.
    target = await startHttpTarget(port);
    await eventually(async () => (await fleet.incidents.listOpen()).length === 0, 15_000, 'the incidents resolved');
    await eventually(
      async () => mail.to('ana@example.test').some((m) => /RESOLVED/i.test(m.subject)),
      10_000,
      'the resolve page',
    );
  }, 60_000);

  it('`vigil up` (the compiled command, every role) runs on the cluster from REDIS_URL alone', async () => {
    const prefix = uniquePrefix('cluster-up');
    const env = { REDIS_URL: cluster.url, VIGIL_PREFIX: prefix, VIGIL_PORT: String(await freePort()) };
    const up = spawnVigil(['up'], { env, cwd: await mkdtemp(join(tmpdir(), 'vigil-cluster-up-')) });
    try {
      const status = await eventually(
        async () => {
          const { code, output } = await runVigil(['status', '--json'], { env });
          if (code !== 0) return undefined;
          const report = JSON.parse(output) as { checks: { id: string; state: string; results: object }[] };
          const green = report.checks.every((c) => c.state === 'up' && Object.keys(c.results).length === 3);
          return report.checks.length === 2 && green ? report : undefined;
        },
        40_000,
        'the example checks up from every vantage',
      );
      expect(status.checks.map((c) => c.id).sort()).toEqual(['redis', 'vigil-health']);
      up.child.kill('SIGTERM');
      expect(await up.exited).toBe(0);
      expect(up.output()).not.toMatch(/CROSSSLOT|"level":50/);
    } finally {
      up.child.kill('SIGKILL');
      await deletePrefix(fleet.redis, prefix);
    }
  }, 60_000);

  it('takes BullMQ bulk adds, a pipeline of its scripts, on a queue in a slot of its own', async () => {
    const queue = new Queue(RESULTS_QUEUE, { connection: fleet.redis, prefix: fleet.keys.queuePrefix('bulk') });
    try {
      const jobs = await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'batch', data: { i } })));
      expect(jobs.map((job) => job.id)).toEqual(['1', '2', '3', '4', '5']);
      expect(await queue.getWaitingCount()).toBe(5);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});

describe('a remote prober on the cluster with the Redis user the deployment guide gives it', () => {
  let cluster: TestRedisCluster;
  let fleet: Fleet;
  let target: HttpTarget;
  let prober: VigilProcess | undefined;
  const user = `prober-acl-${process.pid}-${Date.now()}`;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    fleet = await startFleet(['delta'], { redisUrl: cluster.url });
    target = await startHttpTarget();
  });
  afterAll(async () => {
    prober?.child.kill('SIGTERM');
    await prober?.exited;
    await fleet?.close();
    await target?.close();
    await cluster?.stop();
  });

  it('probes and reports, and cannot read checks, tokens or the secret, nor another vantage’s queue', async () => {
    const password = 'acl-test-password-0123';
    const acl = await guideAcl({ prefix: fleet.prefix, vantage: 'delta', password, cluster: true });
    for (const master of cluster.masters) await master.call('ACL', 'SETUSER', user, ...acl);
    const url = cluster.url.replace('redis+cluster://', `redis+cluster://${user}:${password}@`);
    prober = await spawnProber(fleet, 'delta', url);
    const history = await resultsFrom(fleet, prober, 'delta', target.url);
    expect(history.every((result) => result.vantage === 'delta' && result.ok)).toBe(true);
    expect(prober.output()).not.toContain('NOPERM');

    const limited = createRedis(url, { name: 'acl-probe' });
    try {
      for (const key of [
        fleet.keys.checks,
        fleet.keys.tokens,
        fleet.keys.generatedSecret,
        fleet.keys.latest('api'),
        `${fleet.keys.queuePrefix('probe.beta')}:probe.beta:wait`,
      ]) {
        await expect(limited.type(key), key).rejects.toThrow(/NOPERM/);
      }
      const targets = fleet.keys.probeTargets('alpha', fleet.keys.shardOf('api'));
      await expect(limited.hget(targets, 'api')).rejects.toThrow(/NOPERM/);
      await expect(limited.hset(targets, 'api', '{}')).rejects.toThrow(/NOPERM/);
      await expect(limited.call('FLUSHALL')).rejects.toThrow(/NOPERM/);
    } finally {
      limited.disconnect();
    }
  }, 60_000);
});
