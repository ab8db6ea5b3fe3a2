import { sampleResult } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_CONFIG, testWebApp } from '../../testing.js';

type Issue = { path: string };
const paths = (body: { error: { issues: Issue[] } }) => body.error.issues.map((issue) => issue.path);

/** The test fleet with a weekly rotation handing off on Mondays at 09:00 UTC: ana, then bo. */
const CONFIG = {
  ...TEST_CONFIG,
  vantages: ['alpha', { id: 'beta', sourceAddress: '127.0.0.2' }, 'gamma'],
  people: [
    { id: 'ana', name: 'Ana', email: 'ana@example.com' },
    { id: 'bo', name: 'Bo', email: 'bo@example.com' },
  ],
  schedules: [
    {
      id: 'primary',
      timezone: 'UTC',
      rotation: { every: '1w', handoff: 'mon 09:00', people: ['ana', 'bo'], start: '2026-11-02' },
    },
  ],
};

describe('fleet API: vantages, on-call and status', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  let reader: Awaited<ReturnType<typeof t.token>>;
  beforeEach(async () => {
    t = await testWebApp(CONFIG);
    reader = await t.token({ owner: 'team-a', scope: 'read' });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const get = (url: string, auth = reader.auth) => t.app.inject({ url, headers: auth });

  it('lists vantages with their last heartbeat, liveness and health', async () => {
    const now = t.clock.now();
    await t.ctx.redis.hset(t.ctx.keys.vantageHeartbeats, 'alpha', String(now - 5_000), 'beta', String(now - 60_000));
    const response = await get('/api/v1/vantages');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().items).toEqual([
      { id: 'alpha', lastHeartbeatAt: now - 5_000, alive: true, health: 'ok', problems: [] },
      {
        id: 'beta',
        sourceAddress: '127.0.0.2',
        lastHeartbeatAt: now - 60_000,
        alive: false,
        health: 'silent',
        problems: [],
      },
      { id: 'gamma', lastHeartbeatAt: null, alive: false, health: 'silent', problems: [] },
    ]);

    await t.ctx.redis.hset(
      t.ctx.keys.vantageProblems,
      'alpha:impaired',
      JSON.stringify({ since: now - 120_000, why: '4 of 5 checks fail only here', incident: '7' }),
    );
    const impaired = (await get('/api/v1/vantages')).json().items[0];
    expect(impaired).toEqual({
      id: 'alpha',
      lastHeartbeatAt: now - 5_000,
      alive: true,
      health: 'impaired',
      problems: [{ kind: 'impaired', since: now - 120_000, reason: '4 of 5 checks fail only here', incident: '7' }],
    });

    t.clock.advance(60_000);
    const later = (await get('/api/v1/vantages')).json().items[0];
    expect(later).toMatchObject({ alive: false, health: 'impaired' });
  });

  it('says who is on call now and at a given time, across a handoff', async () => {
    // Now is Wednesday 2026-11-25 12:00 UTC: bo's week, until Monday 2026-11-30 09:00.
    const handoff = Date.parse('2026-11-30T09:00:00Z');
    const now = await get('/api/v1/oncall');
    expect(now.statusCode, now.body).toBe(200);
    expect(now.json()).toEqual({
      at: t.clock.now(),
      items: [
        {
          schedule: 'primary',
          person: { id: 'bo', name: 'Bo' },
          until: handoff,
          next: { at: handoff, personId: 'ana' },
        },
      ],
    });

    const before = await get('/api/v1/oncall?at=2026-11-30T08:59:59Z');
    expect(before.json().items[0].person).toEqual({ id: 'bo', name: 'Bo' });
    const after = await get('/api/v1/oncall?at=2026-11-30T09:00:00Z');
    expect(after.json()).toMatchObject({
      at: handoff,
      items: [{ person: { id: 'ana', name: 'Ana' }, until: Date.parse('2026-12-07T09:00:00Z') }],
    });
    const paris = await get(`/api/v1/oncall?at=${encodeURIComponent('2026-11-30T10:00:00+01:00')}`);
    expect(paris.json().items[0].person.id).toBe('ana');
  });

  it.each(['yesterday', 'tomorrow 5', '5', '2026-13-01T00:00:00Z', '2026-11-30T09:00'])(
    'refuses at=%s, naming the field',
    async (at) => {
      const response = await get(`/api/v1/oncall?at=${encodeURIComponent(at)}`);
      expect(response.statusCode, response.body).toBe(400);
      expect(paths(response.json())).toEqual(['at']);
    },
  );

  it("shows a non-admin only its owner's checks in the status, an admin all", async () => {
    const writer = await t.token({ owner: 'team-a', scope: 'write' });
    const other = await t.token({ owner: 'team-b', scope: 'write' });
    for (const [id, auth] of [
      ['mine', writer.auth],
      ['theirs', other.auth],
    ] as const) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/checks',
        headers: auth,
        payload: { id, interval: '1m', http: { url: `https://${id}.example.com/` } },
      });
      expect(response.statusCode, response.body).toBe(201);
    }
    const now = t.clock.now();
    await t.ctx.results.record(
      sampleResult({ checkId: 'mine', vantage: 'beta', round: now - 60_000, finishedAt: now - 30_000 }),
      60_000,
    );
    await t.ctx.redis.hset(t.ctx.keys.checkState('mine'), 'state', 'up');
    await t.ctx.redis.hset(t.ctx.keys.vantageHeartbeats, 'beta', String(now - 2_000));

    const status = await get('/api/v1/status');
    expect(status.statusCode, status.body).toBe(200);
    expect(status.json().checks).toEqual([
      {
        id: 'mine',
        name: 'mine',
        kind: 'http',
        paused: false,
        state: 'up',
        results: {
          beta: {
            ok: true,
            round: now - 60_000,
            totalMs: 25,
            error: null,
            message: null,
            status: null,
            ageMs: 30_000,
          },
        },
      },
    ]);
    expect(status.json().vantages).toEqual([{ id: 'beta', lastSeenAgoMs: 2_000 }]);

    const admin = await t.token({ owner: 'ops', scope: 'admin' });
    const all = await get('/api/v1/status', admin.auth);
    expect(all.json().checks.map((check: { id: string }) => check.id)).toEqual(['from-config', 'mine', 'theirs']);
  });

  it('answers without a token only on public routes', async () => {
    for (const url of ['/api/v1/vantages', '/api/v1/oncall', '/api/v1/status']) {
      const response = await t.app.inject({ url });
      expect(response.statusCode, url).toBe(401);
    }
  });
});
