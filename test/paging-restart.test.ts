import { parseConfig } from '@vigil/core';
import { eventually, TEST_REDIS_URL } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from './support/fleet.js';
import { type MailSink, startMailSink } from './support/mail-sink.js';
import { pagingYaml } from './support/paging.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';
import { spawnVigil, type VigilProcess, writeConfig } from './support/vigil-process.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function configYaml(url: string): string {
  return `
vantages: [alpha, beta]
components: [{ id: api, name: Public API }]
checks:
  - { id: api-health, name: API health, component: api, interval: 1s, timeout: 800ms, http: { url: "${url}" } }
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
    await sleep(6_000); // the incident opens and both levels try (and fail) to send meanwhile
    expect(mail.received).toHaveLength(0);
    await mail.start();

    await eventually(async () => mail.to('ana@example.test')[0], 20_000, "Ana's page after SMTP returned");
    await eventually(async () => mail.to('bo@example.test')[0], 20_000, "Bo's page after SMTP returned");
    await sleep(3_000);
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
        await sleep(300);
        first.child.kill(signal);
        const code = await first.exited;
        // SIGTERM is a clean stop (work in flight finished, exit 0); SIGKILL is the crash the queues survive.
        if (signal === 'SIGTERM') expect(code, first.output()).toBe(0);
        expect(mail.to('bo@example.test')).toHaveLength(0);

        spawnNotifier();
        await eventually(async () => mail.to('bo@example.test')[0], 20_000, 'the second level after the restart');
        await sleep(3_000);
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
