import { setTimeout } from 'node:timers/promises';
import { DELIVERIES_QUEUE, ESCALATIONS_QUEUE, parseConfig } from '@vigil/core';
import { eventually, TEST_REDIS_URL } from '@vigil/core/testing';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from './support/fleet.js';
import { type MailSink, startMailSink } from './support/mail-sink.js';
import { pagingYaml } from './support/paging.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';
import { spawnVigil, type VigilProcess, writeConfig } from './support/vigil-process.js';

/**
 * What the notifier's queues say it has done: pages and escalation steps completed, and who has a
 * page that failed at least once and waits to be tried again.
 */
async function notifierProgress(fleet: Fleet) {
  const open = <Data>(name: string) => new Queue<Data>(name, { connection: fleet.redis, prefix: fleet.keys.prefix });
  const deliveries = open<{ destination: { personId?: string } }>(DELIVERIES_QUEUE);
  const escalations = open(ESCALATIONS_QUEUE);
  try {
    const retrying = await deliveries.getJobs(['delayed', 'waiting', 'active']);
    return {
      pagesSent: await deliveries.getCompletedCount(),
      stepsDone: await escalations.getCompletedCount(),
      failedOnce: new Set(retrying.filter((job) => job.attemptsMade > 0).map((job) => job.data.destination.personId)),
    };
  } finally {
    await Promise.all([deliveries.close(), escalations.close()]);
  }
}

function configYaml(url: string): string {
  return `
vantages: [alpha, beta]
components: [{ id: api, name: Public API }]
checks:
  - { id: api-health, name: API health, component: api, interval: 1s, timeout: 800ms, allowPrivateTarget: true, http: { url: "${url}" } }
${pagingYaml()}`;
}

describe('paging survives what breaks during an outage', () => {
  let fleet: Fleet;
  let target: HttpTarget;
  let mail: MailSink;
  beforeEach(async () => {
    fleet = await startFleet(['alpha', 'beta']);
    target = await startHttpTarget();
    mail = await startMailSink();
  });
  afterEach(async () => {
    await fleet.close();
    await target.close();
    await mail.stop();
  });

  async function probing(yaml: string) {
    const config = parseConfig(yaml);
    for (const check of config.checks) await fleet.registry.put(check);
    await fleet.prober('alpha');
    await fleet.prober('beta');
    await fleet.scheduler();
    return config;
  }

  it('with SMTP down for a while, the page arrives once it is back, exactly once', async () => {
    const config = await probing(configYaml(target.url));
    await fleet.notifier(config, { smtpUrl: mail.url });
    await fleet.historyUntil('api-health', (h) => h.filter((r) => r.ok).length >= 4);

    await mail.stop();
    target.handler = (req) => req.socket.destroy();
    // The incident opens and both levels try (and fail) to send meanwhile.
    await eventually(
      async () => {
        const { failedOnce } = await notifierProgress(fleet);
        return failedOnce.has('ana') && failedOnce.has('bo');
      },
      20_000,
      'both levels to fail to send',
    );
    expect(mail.received).toHaveLength(0);
    await mail.start();

    await eventually(async () => mail.to('ana@example.test')[0], 20_000, "Ana's page after SMTP returned");
    await eventually(async () => mail.to('bo@example.test')[0], 20_000, "Bo's page after SMTP returned");
    // A fixed wait is the assertion: no page is sent a second time.
    await setTimeout(3_000);
    expect(mail.to('ana@example.test')).toHaveLength(1);
    expect(mail.to('bo@example.test')).toHaveLength(1);
  }, 60_000);

  it.each(['SIGKILL', 'SIGTERM'] as const)(
    'a notifier stopped by %s mid-escalation: a new one carries on, with no page twice',
    async (signal) => {
      const yaml = configYaml(target.url);
      await probing(yaml);
      const path = await writeConfig(yaml);
      const env = {
        REDIS_URL: TEST_REDIS_URL,
        VIGIL_PREFIX: fleet.prefix,
        SMTP_URL: mail.url,
        VIGIL_SECRET: 'test-secret-0123456789',
      };
      const notifiers: VigilProcess[] = [];
      const spawnNotifier = () => {
        const proc = spawnVigil(['notifier', '-c', path], { env });
        notifiers.push(proc);
        return proc;
      };
      try {
        const first = spawnNotifier();
        await fleet.historyUntil('api-health', (h) => h.filter((r) => r.ok).length >= 4, 20_000);
        target.handler = (req) => req.socket.destroy();
        await eventually(async () => mail.to('ana@example.test')[0], 20_000, 'the first level');
        // Killed only once Ana's page and the first step are recorded done: one cut off before is rightly redone.
        await eventually(
          async () => {
            const { pagesSent, stepsDone } = await notifierProgress(fleet);
            return pagesSent >= 1 && stepsDone >= 1;
          },
          5_000,
          "Ana's page and the first escalation step recorded done",
        );
        first.child.kill(signal);
        const code = await first.exited;
        // SIGTERM is a clean stop (work in flight finished, exit 0); SIGKILL is the crash the queues survive.
        if (signal === 'SIGTERM') expect(code, first.output()).toBe(0);
        expect(mail.to('bo@example.test')).toHaveLength(0);

        spawnNotifier();
        await eventually(async () => mail.to('bo@example.test')[0], 20_000, 'the second level after the restart');
        // A fixed wait is the assertion: neither level is paged a second time.
        await setTimeout(3_000);
        expect(mail.to('ana@example.test')).toHaveLength(1);
        expect(mail.to('bo@example.test')).toHaveLength(1);
        expect(await fleet.redis.zcard(fleet.keys.incidentsAll)).toBe(1);
      } finally {
        for (const proc of notifiers) {
          proc.child.kill('SIGKILL');
          await proc.exited;
        }
      }
    },
    60_000,
  );
});
