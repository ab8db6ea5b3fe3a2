import { setTimeout } from 'node:timers/promises';
import { downtimeBounds, parseConfig, redeemAckToken } from '@vigil/core';
import { eventually } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from './support/fleet.js';
import { type MailSink, startMailSink } from './support/mail-sink.js';
import { ackToken, pagingYaml } from './support/paging.js';
import { type HttpTarget, startHttpTarget } from './support/targets.js';

const SECRET = 'test-secret-0123456789';

describe('paging end to end: probers → notifier → SMTP', () => {
  let fleet: Fleet;
  let target: HttpTarget;
  let mail: MailSink;
  beforeEach(async () => {
    fleet = await startFleet(['alpha', 'beta', 'gamma']);
    target = await startHttpTarget();
    mail = await startMailSink();
  });
  afterEach(async () => {
    await fleet.close();
    await target.close();
    await mail.stop();
  });

  it('a target going down pages the on-call once, escalates until acknowledged, and resolves with bounds', async () => {
    const config = parseConfig(`
vantages: [alpha, beta, gamma]
components: [{ id: api, name: Public API }]
checks:
  - { id: api-health, name: API health, component: api, interval: 1s, timeout: 800ms, allowPrivateTarget: true, http: { url: "${target.url}" } }
${pagingYaml({ repeat: 1 })}`);
    await fleet.registry.put(config.checks[0] ?? ({} as never));
    await fleet.notifier(config, { smtpUrl: mail.url });
    for (const vantage of ['alpha', 'beta', 'gamma']) await fleet.prober(vantage);
    await fleet.scheduler();
    await fleet.historyUntil('api-health', (h) => h.filter((r) => r.ok).length >= 6);

    const port = target.port;
    await target.close();
    const killedAt = Date.now();
    const [first] = await eventually(
      async () => (mail.to('ana@example.test').length > 0 ? mail.to('ana@example.test') : undefined),
      15_000,
      'the first page',
    );
    // confirmations × interval + the grouping window + a probe timeout and slack.
    expect((first?.at ?? 0) - killedAt).toBeLessThan(2 * 1_000 + 1_000 + 3_000);
    expect(first?.subject).toMatch(/API health|Public API/);
    expect(first?.text).toContain('connect_refused');
    expect(first?.text).toMatch(/3 of 3/);

    const { incidents } = fleet;
    const [incident] = await incidents.listOpen();
    expect(incident?.members.map((m) => m.checkId)).toEqual(['api-health']);

    // Nobody acknowledges: the second level (Bo) is paged after its 3 s delay.
    const toBo = await eventually(async () => mail.to('bo@example.test')[0], 10_000, 'the second level');
    expect(toBo.at - (first?.at ?? 0)).toBeGreaterThanOrEqual(2_500);

    // Bo follows the ack link in his page: escalation stops (the repeat would page Ana again after 3 s).
    const claim = await redeemAckToken(
      { redis: fleet.redis, keys: fleet.keys, secret: SECRET },
      ackToken(toBo.text),
      Date.now(),
    );
    await incidents.acknowledge(claim.incidentId, claim.by, Date.now());
    const pagesAtAck = mail.received.length;
    // A fixed wait is the assertion: unacknowledged, the repeat would have paged Ana again within 3 s.
    await setTimeout(5_000);
    expect(mail.received.length).toBe(pagesAtAck);
    expect(mail.to('ana@example.test')).toHaveLength(1);

    // The target comes back: two good rounds resolve the incident, and everyone paged hears it.
    const back = await startHttpTarget(port);
    try {
      const resolved = await eventually(
        async () => {
          const now = await incidents.get(incident?.id ?? '');
          return now?.status === 'resolved' ? now : undefined;
        },
        15_000,
        'the incident resolved',
      );
      const bounds = downtimeBounds(resolved, Date.now());
      expect(bounds.final).toBe(true);
      expect(bounds.atLeastMs).toBeGreaterThanOrEqual(3_000);
      expect(bounds.atMostMs).toBeGreaterThan(bounds.atLeastMs);
      expect(resolved.updates.at(-1)?.message).toMatch(/at least .* and at most/);
      await eventually(
        async () => mail.received.filter((m) => /RESOLVED/i.test(m.subject)).length >= 2,
        10_000,
        'resolve pages',
      );
      const resolves = mail.received
        .filter((m) => /RESOLVED/i.test(m.subject))
        .flatMap((m) => m.to)
        .sort();
      expect(resolves).toEqual(['ana@example.test', 'bo@example.test']);
    } finally {
      await back.close();
    }
    expect(new Set(mail.received.map((m) => m.messageId)).size).toBe(mail.received.length);
  }, 60_000);
});
