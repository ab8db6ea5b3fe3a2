import { LATENCY_BUCKET_MS, LatencyRollups, verdictBucketKeys } from '@vigil/core';
import { sampleResult } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleSignIn, TEST_CONFIG, testWebApp } from '../testing.js';

type App = Awaited<ReturnType<typeof testWebApp>>;

/** team-b may use the public component `lb`. A's check has none: its incidents are not public. */
const CONFIG = {
  ...TEST_CONFIG,
  grants: [...TEST_CONFIG.grants, { owner: 'team-b', components: ['lb'], escalations: ['default'], publish: true }],
};
/** What only A's check ever saw: it must reach nobody but A. */
const SECRET = 'a-private-host.internal refused';

describe('a check id deleted by one owner and created by another', () => {
  let t: App;
  beforeEach(async () => {
    t = await testWebApp(CONFIG);
  });
  afterEach(() => t.cleanup());

  /** Results, uptime, latency and an incident of A's check `shared`, as the prober and notifier leave them. */
  async function aHistory(): Promise<string> {
    const now = t.clock.now();
    for (const vantage of ['alpha', 'beta']) {
      const round = now - 60_000;
      const at = { checkId: 'shared', vantage, round, startedAt: round + 5, finishedAt: round + 80 };
      await t.ctx.results.record(
        sampleResult({ ...at, ok: false, error: 'connect_refused', message: SECRET, remoteAddress: '10.9.8.7' }),
        60_000,
      );
    }
    const bucket = verdictBucketKeys(t.ctx.keys, 'shared', now);
    await t.ctx.redis.hincrby(bucket.day, 'fail', 40);
    await t.ctx.redis.hincrby(bucket.hour, 'fail', 40);
    const means = { total: 75, dns: 3, connect: 8, tls: 20, firstByte: 40 };
    await new LatencyRollups(t.ctx).merge([
      {
        checkId: 'shared',
        vantage: 'alpha',
        bucket: Math.floor(now / LATENCY_BUCKET_MS),
        samples: 5,
        failures: 0,
        means,
      },
    ]);
    const { id } = await t.ctx.incidents.openOrJoin(
      {
        group: 'check:shared',
        title: 'A private check is down',
        impact: 'major',
        severity: 'major',
        startedAt: now - 60_000,
        member: {
          checkId: 'shared',
          owner: 'team-a',
          name: 'A private check',
          down: true,
          firstFailedRound: now - 60_000,
          lastFailedRound: now,
          vantagesFailing: ['alpha', 'beta'],
          vantagesTotal: 2,
          error: 'connect_refused',
          message: SECRET,
        },
        openedMessage: `A private check is failing: ${SECRET}.`,
        joinedMessage: '',
      },
      now,
      t.ctx.config.notifier.reopenWindow,
    );
    return id;
  }

  it("shows B nothing of A's results, uptime, latency or incident; A keeps its incident", async () => {
    const a = await t.token({ owner: 'team-a', scope: 'write' });
    const b = await t.token({ owner: 'team-b', scope: 'write' });
    const body = (name: string, component?: string) => ({
      id: 'shared',
      name,
      ...(component && { component }),
      interval: '1m',
      vantages: ['alpha', 'beta'],
      http: { url: 'https://example.com/' },
    });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/checks',
      headers: a.auth,
      payload: body('A private check'),
    });
    expect(created.statusCode, created.body).toBe(201);
    const incidentId = await aHistory();
    // A sees its own history (the fixture is real enough to leak).
    const before = await t.app.inject({ url: '/api/v1/checks/shared/results', headers: a.auth });
    expect(before.body).toContain(SECRET);

    const deleted = await t.app.inject({ method: 'DELETE', url: '/api/v1/checks/shared', headers: a.auth });
    expect(deleted.statusCode, deleted.body).toBe(204);
    const taken = await t.app.inject({
      method: 'POST',
      url: '/api/v1/checks',
      headers: b.auth,
      payload: body('B check', 'lb'),
    });
    expect(taken.statusCode, taken.body).toBe(201);

    const check = await t.app.inject({ url: '/api/v1/checks/shared', headers: b.auth });
    expect(check.statusCode, check.body).toBe(200);
    expect(check.body).not.toContain(SECRET);
    expect(check.body).not.toContain('10.9.8.7');
    const results = await t.app.inject({ url: '/api/v1/checks/shared/results', headers: b.auth });
    expect(results.statusCode, results.body).toBe(200);
    expect(results.body).not.toContain(SECRET);
    expect(results.body).not.toContain('10.9.8.7');
    const uptime = await t.app.inject({ url: '/api/v1/checks/shared/uptime', headers: b.auth });
    for (const window of Object.values(uptime.json() as Record<string, { rounds: number }>))
      expect(window.rounds).toBe(0);
    const latency = await t.app.inject({ url: '/api/v1/checks/shared/latency?range=24h', headers: b.auth });
    expect(latency.statusCode, latency.body).toBe(200);
    expect(JSON.stringify(latency.json())).not.toContain('"samples":5');

    const incidents = await t.app.inject({ url: '/api/v1/incidents?status=all', headers: b.auth });
    expect(incidents.body).not.toContain(incidentId);
    const incident = await t.app.inject({ url: `/api/v1/incidents/${incidentId}`, headers: b.auth });
    expect(incident.statusCode).toBe(404);
    const { cookie } = await consoleSignIn(t.app, b.token);
    const page = await t.app.inject({ url: '/console/checks/shared', headers: { cookie } });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.body).toContain('B check');
    expect(page.body).not.toContain(SECRET);
    expect(page.body).not.toContain(`/console/incidents/${incidentId}`);
    for (const url of ['/', '/api/v2/summary.json', '/api/v2/incidents.json']) {
      const status = await t.app.inject({ url });
      expect(status.statusCode, url).toBe(200);
      expect(status.body, url).not.toContain(SECRET);
      expect(status.body, url).not.toMatch(/Load balancers (outage|degraded)/);
    }

    // A's incident stays A's record.
    const mine = await t.app.inject({ url: `/api/v1/incidents/${incidentId}`, headers: a.auth });
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.body).toContain(SECRET);
    const listed = await t.app.inject({ url: '/api/v1/incidents?status=all', headers: a.auth });
    expect(listed.body).toContain(incidentId);
  });
});
