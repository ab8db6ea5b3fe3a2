import { setTimeout } from 'node:timers/promises';
import { parseConfig } from '@vigil/core';
import { eventually } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from './support/fleet.js';
import { type MailSink, startMailSink } from './support/mail-sink.js';
import { pagingYaml } from './support/paging.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';

describe('paging at fleet scale: grouping and the fleet watching itself', () => {
  let fleet: Fleet;
  let target: HttpTarget;
  let mail: MailSink;
  beforeEach(async () => {
    target = await startHttpTarget();
    mail = await startMailSink();
  });
  afterEach(async () => {
    await fleet.close();
    await target.close();
    await mail.stop();
  });

  it('200 checks of one component going down together are one incident and one page that says how many', async () => {
    fleet = await startFleet(['alpha', 'beta']);
    const checks = Array.from(
      { length: 200 },
      (_, i) =>
        `  - { id: app-${i}, name: App ${i}, component: apps, interval: 2s, timeout: 1s, allowPrivateTarget: true, http: { url: "${target.url}?app=${i}" } }`,
    ).join('\n');
    const config = parseConfig(`
vantages: [alpha, beta]
components: [{ id: apps, name: Hosted apps }]
checks:
${checks}
${pagingYaml({ extra: '' }).replace('groupingWindow: 1s', 'groupingWindow: 3s')}`);
    for (const check of config.checks) await fleet.registry.put(check);
    await fleet.notifier(config, { smtpUrl: mail.url });
    for (const vantage of ['alpha', 'beta'])
      await fleet.prober(vantage, { settings: { concurrency: 200, perHostConcurrency: 200 } });
    await fleet.scheduler();
    await fleet.historyUntil('app-199', (h) => h.filter((r) => r.ok).length >= 4, 20_000);

    target.handler = (req) => req.socket.destroy();
    const { incidents } = fleet;
    const incident = await eventually(
      async () => {
        const [open] = await incidents.listOpen();
        return open && open.members.filter((m) => m.down).length === 200 ? open : undefined;
      },
      30_000,
      'all 200 checks in the incident',
    );
    await eventually(async () => mail.to('ana@example.test')[0], 15_000, 'the page');
    // A fixed wait is the assertion: no second incident or page follows the first.
    await setTimeout(2_000);

    expect(await incidents.list()).toHaveLength(1);
    expect(incident.group).toBe('component:apps');
    const pages = mail.to('ana@example.test');
    expect(pages).toHaveLength(1);
    expect(pages[0]?.subject).toMatch(/200 of 200/);
    expect(pages[0]?.text).toMatch(/and \d+ more/);
  }, 90_000);

  it('a vantage cut off from the targets is paged once as impaired, and opens no target incident', async () => {
    fleet = await startFleet(['alpha', 'beta', 'gamma']);
    const config = parseConfig(`
vantages: [alpha, beta, { id: gamma, sourceAddress: 127.0.0.3 }]
components: [{ id: api, name: Public API }]
checks:
${[0, 1, 2, 3]
  .map(
    (i) =>
      `  - { id: api-${i}, component: api, interval: 1s, timeout: 800ms, allowPrivateTarget: true, http: { url: "${target.url}?n=${i}" } }`,
  )
  .join('\n')}
${pagingYaml()}`);
    for (const check of config.checks) await fleet.registry.put(check);
    await fleet.notifier(config, { smtpUrl: mail.url });
    await fleet.prober('alpha');
    await fleet.prober('beta');
    await fleet.prober({ id: 'gamma', sourceAddress: '127.0.0.3' });
    await fleet.scheduler();
    await fleet.historyUntil('api-3', (h) => h.filter((r) => r.ok && r.vantage === 'gamma').length >= 2);

    // The targets now refuse whatever comes from gamma's address: its network is sick, not them.
    const serve = target.handler;
    target.handler = (req, res) => (req.socket.remoteAddress === '127.0.0.3' ? req.socket.destroy() : serve(req, res));
    const page = await eventually(async () => mail.to('cy@example.test')[0], 20_000, 'the fleet page');
    expect(page.subject).toMatch(/gamma/);
    expect(page.text).toMatch(/[34] of 4 checks failing only there/);
    // A fixed wait is the assertion: no target incident opens and nobody else is paged.
    await setTimeout(4_000);

    const { incidents } = fleet;
    const all = await incidents.list();
    expect(all.map((i) => i.group)).toEqual(['vantage:gamma:impaired']);
    expect(mail.to('ana@example.test')).toHaveLength(0);
    expect(mail.to('cy@example.test')).toHaveLength(1);

    // Gamma's network heals: the fleet incident resolves.
    target.handler = serve;
    await eventually(
      async () => (await incidents.get(all[0]?.id ?? ''))?.status === 'resolved',
      25_000,
      'gamma healthy again',
    );
  }, 90_000);
});
