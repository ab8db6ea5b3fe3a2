import { parseConfig } from '@vigil/core';
import { type DnsTestServer, startDnsServer } from '@vigil/prober/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from './support/fleet.js';

const NAME = 'www.example.test';

describe('a DNS check through the whole path: registry → scheduler → probers → results → round → state', () => {
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

  it('each vantage reports the answer it got; the disagreement shows in the latest results and degrades the check', async () => {
    const config = parseConfig(`
vantages: [{ id: alpha, sourceAddress: 127.0.0.2 }, { id: beta, sourceAddress: 127.0.0.3 }]
checks:
  - id: www
    interval: 1s
    timeout: 800ms
    allowPrivateTarget: true
    dns: { name: ${NAME}, server: "127.0.0.1:${server.port}", expect: { answers: { contains: [192.0.2.1] } } }
`);
    await fleet.runConfig(config);

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
  });
});
