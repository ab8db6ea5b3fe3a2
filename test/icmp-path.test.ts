import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@vigil/core';
import { eventually } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkFromYaml, type Fleet, startFleet } from './support/fleet.js';
import { startMailSink } from './support/mail-sink.js';
import { pagingYaml } from './support/paging.js';
import { spawnVigil, writeConfig } from './support/vigil-process.js';

describe('ICMP checks through the whole path: registry → scheduler → probers (fping) → results → round → state → incident → page', () => {
  let fleet: Fleet;
  beforeEach(async () => {
    fleet = await startFleet(['alpha', 'beta']);
  });
  afterEach(async () => {
    await fleet.close();
  });

  it('each vantage reports loss and round trips from its source address; a round trip over the limit takes the check down and pages', async () => {
    const mail = await startMailSink();
    const config = parseConfig(`
vantages: [{ id: alpha, sourceAddress: 127.0.0.2 }, { id: beta, sourceAddress: 127.0.0.3 }]
checks:
  - id: lb
    interval: 1s
    timeout: 800ms
    confirmations: 2
    allowPrivateTarget: true
    icmp: { host: 127.0.0.1, count: 2, expect: { maxLossPercent: 0 } }
  - id: lb-slow
    interval: 1s
    timeout: 800ms
    confirmations: 2
    allowPrivateTarget: true
    icmp: { host: 127.0.0.1, count: 2, expect: { maxRttMs: 0.001 } }
${pagingYaml()}`);
    await fleet.runConfig(config, { smtpUrl: mail.url });

    const latest = await fleet.latestFromEach('lb');
    for (const result of [latest.alpha, latest.beta]) {
      expect(result).toMatchObject({
        ok: true,
        remoteAddress: '127.0.0.1',
        icmp: { sent: 2, received: 2, lossPercent: 0, rttMs: { avg: expect.any(Number) } },
      });
    }

    expect(await fleet.stateBecomes('lb', 'up')).toBe('up');
    expect(await fleet.stateBecomes('lb-slow', 'down')).toBe('down');
    const slow = await fleet.store.latest('lb-slow');
    expect(slow.alpha).toMatchObject({ ok: false, error: 'assertion', icmp: { received: 2 } });
    expect(slow.alpha?.message).toMatch(/^mean round trip to 127\.0\.0\.1 was [\d.]+ ms; expected at most 0\.001 ms$/);
    const history = await fleet.historyUntil('lb-slow', (entries) => entries.length > 0);
    expect(history[0]).toMatchObject({ ok: false, error: 'assertion' });
    // Down is down whatever the kind: an incident, and the on-call paged through SMTP.
    const [page] = await eventually(
      async () => (mail.to('ana@example.test').length > 0 ? mail.to('ana@example.test') : undefined),
      15_000,
      'the page for the slow ICMP check',
    );
    expect(page?.text).toContain('lb-slow');
    const open = await fleet.incidents.listOpen();
    expect(open.flatMap((incident) => incident.members.map((member) => member.checkId))).toEqual(['lb-slow']);
    await mail.stop();
  });

  it('a prober without fping on its PATH says so once at start, and its ICMP results are icmp_unavailable', async () => {
    const emptyPath = await mkdtemp(join(tmpdir(), 'vigil-no-fping-'));
    const config = await writeConfig('vantages: [alpha]\nallowPrivateTargets: true\n');
    const env = {
      REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
      VIGIL_PREFIX: fleet.prefix,
      PATH: emptyPath,
    };
    const prober = spawnVigil(['prober', '--vantage', 'alpha', '-c', config], { env });
    try {
      await fleet.recorder();
      await fleet.scheduler();
      await fleet.registry.put(
        checkFromYaml('{ id: lb, vantages: [alpha], interval: 1s, timeout: 800ms, icmp: { host: 127.0.0.1 } }', [
          'alpha',
        ]),
      );
      const history = await fleet.historyUntil('lb', (entries) => entries.length >= 2, 20_000, 'two rounds');
      for (const result of history) {
        expect(result).toMatchObject({
          ok: false,
          error: 'icmp_unavailable',
          message: 'fping is not installed (not found on the PATH, ENOENT)',
        });
      }
      const said = prober.output().match(/this prober cannot ping: fping is not installed/g) ?? [];
      expect(said, prober.output()).toHaveLength(1);
      expect(prober.output()).toContain('apt-get install fping');
    } finally {
      prober.child.kill('SIGTERM');
      await prober.exited;
      await rm(emptyPath, { recursive: true, force: true });
    }
  });
});
