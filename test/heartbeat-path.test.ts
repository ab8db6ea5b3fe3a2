import { parseConfig } from '@vigil/core';
import { eventually } from '@vigil/core/testing';
import { createWebContext, WebServer } from '@vigil/web';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from './support/fleet.js';
import { type MailSink, startMailSink } from './support/mail-sink.js';
import { pagingYaml } from './support/paging.js';

describe('heartbeat end to end: pings over HTTP → notifier → SMTP', () => {
  let fleet: Fleet;
  let mail: MailSink;
  let web: WebServer;
  let url: string;
  const config = parseConfig(`
vantages: [alpha]
components: [{ id: jobs, name: Batch jobs }]
checks:
  - { id: backup, name: Nightly backup, component: jobs, interval: 2s, timeout: 2s, heartbeat: { grace: 1s } }
${pagingYaml()}`);
  beforeEach(async () => {
    fleet = await startFleet(['alpha']);
    mail = await startMailSink();
    // The web role as it runs: this fleet's Redis, and the config whose component the status page shows.
    web = new WebServer(createWebContext(fleet, { config, secret: 'test-secret-0123456789' }));
    url = await web.listen(0);
  });
  afterEach(async () => {
    await web.close();
    await fleet.close();
    await mail.stop();
  });

  it('pings on time keep it up; none past the grace pages the on-call; the next ping resolves it', async () => {
    const [check] = config.checks;
    if (!check) throw new Error('fixture did not parse');
    await fleet.registry.put(check);
    await fleet.notifier(config, { smtpUrl: mail.url });
    // A scheduler and a prober run beside it: a heartbeat check gets no slot and no probe.
    await fleet.scheduler();
    await fleet.prober('alpha');
    const token = await fleet.ctx.heartbeats.rotate('backup', Date.now());

    const ping = async (suffix = '') => (await fetch(`${url}/ping/${token}${suffix}`, { method: 'POST' })).status;
    for (let i = 0; i < 4; i++) {
      expect(await ping()).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    const history = await fleet.historyUntil('backup', (h) => h.filter((r) => r.ok).length >= 4);
    expect(new Set(history.map((result) => result.vantage))).toEqual(new Set(['push']));
    expect((await fleet.redis.hget(fleet.keys.checkState('backup'), 'state')) ?? '').toBe('up');

    const stoppedAt = Date.now();
    const [page] = await eventually(
      async () => (mail.to('ana@example.test').length > 0 ? mail.to('ana@example.test') : undefined),
      15_000,
      'the page for a missed ping',
    );
    // Due an interval after the last ping, late a grace later; then a tick, the grouping window and slack.
    expect((page?.at ?? 0) - stoppedAt).toBeLessThan(2_000 + 1_000 + 1_000 + 1_000 + 3_000);
    expect(page?.subject).toMatch(/Nightly backup|Batch jobs/);
    expect(page?.text).toContain('missed');
    const [incident] = await fleet.incidents.listOpen();
    expect(incident?.members).toEqual([expect.objectContaining({ checkId: 'backup', error: 'missed' })]);
    // The status page shows it as it shows any check: its component in a major outage.
    const summary = (await (await fetch(`${url}/api/v2/summary.json`)).json()) as {
      components: { name: string; status: string }[];
    };
    expect(summary.components).toEqual([expect.objectContaining({ name: 'Batch jobs', status: 'major_outage' })]);

    expect(await ping()).toBe(200);
    await eventually(
      async () => (await fleet.incidents.get(incident?.id ?? ''))?.status === 'resolved',
      10_000,
      'the incident resolved by the next ping',
    );
    await eventually(async () => mail.received.some((m) => /RESOLVED/i.test(m.subject)), 10_000, 'the resolve page');
    const all = await fleet.ctx.results.history('backup', { limit: 100 });
    expect(all.every((result) => result.vantage === 'push')).toBe(true);
  }, 60_000);
});
