import { parseConfig } from '@vigil/core';
import { eventually } from '@vigil/core/testing';
import { type DnsTestServer, startDnsServer } from '@vigil/prober/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from './support/fleet.js';
import { startMailSink } from './support/mail-sink.js';
import { pagingYaml } from './support/paging.js';

const NAME = 'www.example.test';

describe('a DNS check through the whole path: registry → scheduler → probers → results → round → state → incident → page', () => {
  let fleet: Fleet;
  let server: DnsTestServer;
  beforeEach(async () => {
    fleet = await startFleet(['alpha', 'beta']);
    // The resolver tells beta's source address something else: one vantage sees a broken record.
    server = await startDnsServer((question, from) => ({
      answers: [
        { type: 'A', name: question?.name ?? NAME, ttl: 60, data: from === '127.0.0.3' ? '198.51.100.7' : '192.0.2.1' },
      ],
    }));
  });
  afterEach(async () => {
    await fleet.close();
    await server.close();
  });

  it('each vantage reports the answer it got; the disagreement degrades the check, a wrong answer everywhere pages', async () => {
    const mail = await startMailSink();
    const config = parseConfig(`
vantages: [{ id: alpha, sourceAddress: 127.0.0.2 }, { id: beta, sourceAddress: 127.0.0.3 }]
checks:
  - id: www
    interval: 1s
    timeout: 800ms
    allowPrivateTarget: true
    dns: { name: ${NAME}, server: "127.0.0.1:${server.port}", expect: { answers: { contains: [192.0.2.1] } } }
  - id: www-moved
    interval: 1s
    timeout: 800ms
    confirmations: 2
    allowPrivateTarget: true
    dns: { name: ${NAME}, server: "127.0.0.1:${server.port}", expect: { answers: { contains: [203.0.113.9] } } }
${pagingYaml()}`);
    await fleet.runConfig(config, { smtpUrl: mail.url });

    const latest = await fleet.latestFromEach('www');
    expect(latest.alpha).toMatchObject({
      ok: true,
      remoteAddress: '127.0.0.1',
      dns: { rcode: 'NOERROR', answers: ['192.0.2.1'] },
    });
    expect(latest.beta).toMatchObject({ ok: false, error: 'assertion', dns: { answers: ['198.51.100.7'] } });
    expect(latest.alpha?.timings.firstByte).toBeGreaterThan(0);

    // One vantage of two failing is below the majority quorum: degraded, not down.
    const state = await fleet.stateBecomes('www', 'degraded');
    expect(state).toBe('degraded');

    // An answer no vantage gets is down whatever the kind: an incident, and the on-call paged through SMTP.
    expect(await fleet.stateBecomes('www-moved', 'down')).toBe('down');
    const [page] = await eventually(
      async () => (mail.to('ana@example.test').length > 0 ? mail.to('ana@example.test') : undefined),
      15_000,
      'the page for the DNS check',
    );
    expect(page?.text).toContain('www-moved');
    const open = await fleet.incidents.listOpen();
    expect(open.flatMap((incident) => incident.members.map((member) => member.checkId))).toEqual(['www-moved']);
    await mail.stop();
  });
});
