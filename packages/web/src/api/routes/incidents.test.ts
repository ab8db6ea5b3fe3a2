import type { Incident } from '@vigil/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testWebApp } from '../../testing.js';

const MIN = 60_000;

type Issue = { path: string };
const paths = (body: { error: { issues: Issue[] } }) => body.error.issues.map((issue) => issue.path);

describe('incidents API', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  let owner: Awaited<ReturnType<typeof t.token>>;
  let stranger: Awaited<ReturnType<typeof t.token>>;

  beforeEach(async () => {
    t = await testWebApp();
    owner = await t.token({ owner: 'team-a', scope: 'write' });
    stranger = await t.token({ owner: 'team-b', scope: 'write' });
    for (const id of ['web', 'db', 'cache']) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/checks',
        headers: owner.auth,
        payload: { id, interval: '1m', http: { url: `https://${id}.example.com/` } },
      });
      expect(response.statusCode, response.body).toBe(201);
    }
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** Opens an incident for one of team-a's checks, as the notifier does, `minutesAgo` before now. */
  async function open(checkId: string, minutesAgo: number, title = `${checkId} is down`): Promise<string> {
    const at = t.clock.now() - minutesAgo * MIN;
    const { id } = await t.ctx.incidents.openOrJoin(
      {
        group: `check:${checkId}`,
        title,
        impact: 'major',
        severity: 'major',
        escalation: 'default',
        startedAt: at,
        member: {
          checkId,
          name: checkId,
          down: true,
          firstFailedRound: at,
          lastFailedRound: at,
          vantagesFailing: ['alpha', 'beta'],
          vantagesTotal: 3,
          error: 'timeout',
          message: 'timed out',
        },
        openedMessage: `${checkId} is failing.`,
        joinedMessage: '',
      },
      at,
      10 * MIN,
    );
    return id;
  }

  const get = (url: string, auth = owner.auth) => t.app.inject({ url, headers: auth });
  const post = (url: string, payload?: object, auth = owner.auth) =>
    t.app.inject({ method: 'POST', url, headers: auth, ...(payload && { payload }) });
  const ids = (items: Incident[]) => items.map((incident) => incident.id);

  it('lists open, resolved or all incidents, newest first, with limit and offset', async () => {
    const web = await open('web', 30);
    const db = await open('db', 20);
    const cache = await open('cache', 10);
    await t.ctx.incidents.resolve(db, 'ana', t.clock.now());

    const openList = await get('/api/v1/incidents');
    expect(openList.statusCode, openList.body).toBe(200);
    expect(openList.json().total).toBe(2);
    expect(ids(openList.json().items)).toEqual([cache, web]);

    const resolved = await get('/api/v1/incidents?status=resolved');
    expect(ids(resolved.json().items)).toEqual([db]);
    expect(resolved.json().items[0]).toMatchObject({ status: 'resolved', resolvedBy: 'ana' });

    const all = await get('/api/v1/incidents?status=all');
    expect(all.json()).toMatchObject({ total: 3 });
    expect(ids(all.json().items)).toEqual([cache, db, web]);

    const page = await get('/api/v1/incidents?status=all&limit=1&offset=1');
    expect(page.json()).toMatchObject({ total: 3 });
    expect(ids(page.json().items)).toEqual([db]);
    const beyond = await get('/api/v1/incidents?status=all&limit=5&offset=3');
    expect(beyond.json()).toMatchObject({ items: [], total: 3 });

    const bad = await get('/api/v1/incidents?status=closed&limit=0&offset=-1');
    expect(bad.statusCode).toBe(400);
    expect(paths(bad.json()).sort()).toEqual(['limit', 'offset', 'status']);
  });

  it('shows one incident with its members and timeline', async () => {
    const id = await open('web', 5, 'Web is down');
    const response = await get(`/api/v1/incidents/${id}`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      id,
      title: 'Web is down',
      status: 'investigating',
      members: [{ checkId: 'web', down: true, vantagesFailing: ['alpha', 'beta'] }],
      updates: [{ status: 'investigating', message: 'web is failing.', by: 'vigil' }],
    });
    expect((await get('/api/v1/incidents/999')).statusCode).toBe(404);
    const bad = await get('/api/v1/incidents/abc');
    expect(bad.statusCode).toBe(400);
    expect(paths(bad.json())).toEqual(['id']);
  });

  it('acknowledges once: the first acknowledgement wins, the second says already', async () => {
    const id = await open('web', 5);
    const me = 'team-a (team-a-write)';
    const first = await post(`/api/v1/incidents/${id}/ack`);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({
      outcome: 'acknowledged',
      incident: { acknowledgedBy: me, acknowledgedAt: t.clock.now() },
    });

    t.clock.advance(MIN);
    const second = await post(`/api/v1/incidents/${id}/ack`);
    expect(second.json()).toMatchObject({ outcome: 'already', incident: { acknowledgedBy: me } });
    const stored = await t.ctx.incidents.get(id);
    expect(stored).toMatchObject({ acknowledgedBy: me, acknowledgedAt: t.clock.now() - MIN });
    expect(stored?.updates.filter((u) => u.message.startsWith('Acknowledged'))).toHaveLength(1);

    const other = await open('db', 5);
    const byToken = await post(`/api/v1/incidents/${other}/ack`);
    expect(byToken.json().incident.acknowledgedBy).toBe('team-a (team-a-write)');

    const reader = await t.token({ owner: 'team-a', scope: 'read' });
    const third = await open('cache', 5);
    expect((await post(`/api/v1/incidents/${third}/ack`, undefined, reader.auth)).statusCode).toBe(403);
    expect((await t.ctx.incidents.get(third))?.acknowledgedAt).toBeUndefined();
  });

  it('adds an update that sets the status and appears on the timeline', async () => {
    const id = await open('web', 5);
    const response = await post(`/api/v1/incidents/${id}/updates`, {
      status: 'identified',
      message: 'A bad deploy; rolling back.',
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ id, status: 'identified' });
    expect(response.json().updates.at(-1)).toEqual({
      at: t.clock.now(),
      status: 'identified',
      message: 'A bad deploy; rolling back.',
      by: 'team-a (team-a-write)',
    });
    const shown = await get(`/api/v1/incidents/${id}`);
    expect(shown.json().updates.map((u: { message: string }) => u.message)).toContain('A bad deploy; rolling back.');

    const empty = await post(`/api/v1/incidents/${id}/updates`, { status: 'monitoring', message: '   ' });
    expect(empty.statusCode).toBe(400);
    expect(paths(empty.json())).toEqual(['message']);
    expect((await t.ctx.incidents.get(id))?.status).toBe('identified');
  });

  it('changes the status with PATCH, and refuses a status it does not know', async () => {
    const id = await open('web', 5);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/incidents/${id}`,
      headers: owner.auth,
      payload: { status: 'monitoring' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ status: 'monitoring' });
    expect(patched.json().updates.at(-1)).toMatchObject({
      status: 'monitoring',
      message: 'Status changed to monitoring.',
    });

    const bad = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/incidents/${id}`,
      headers: owner.auth,
      payload: { status: 'fixed' },
    });
    expect(bad.statusCode).toBe(400);
    expect(paths(bad.json())).toEqual(['status']);
    expect(bad.json().error.message).toContain('status');
    const badUpdate = await post(`/api/v1/incidents/${id}/updates`, { status: 'done', message: 'ok' });
    expect(badUpdate.statusCode).toBe(400);
    expect(paths(badUpdate.json())).toEqual(['status']);
    expect((await t.ctx.incidents.get(id))?.status).toBe('monitoring');
  });

  it('resolves by hand: the incident is resolved, the timeline says so, and it leaves the open list', async () => {
    const id = await open('web', 5);
    const response = await post(`/api/v1/incidents/${id}/resolve`, { message: 'Rolled back.' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      outcome: 'resolved',
      incident: { status: 'resolved', resolvedAt: t.clock.now(), resolvedBy: 'team-a (team-a-write)' },
    });
    const stored = await t.ctx.incidents.get(id);
    expect(stored?.status).toBe('resolved');
    expect(stored?.updates.at(-1)).toMatchObject({ status: 'resolved', message: 'Rolled back.' });
    expect((await get('/api/v1/incidents')).json()).toMatchObject({ items: [], total: 0 });

    const again = await post(`/api/v1/incidents/${id}/resolve`);
    expect(again.json()).toMatchObject({ outcome: 'already' });
    const reopen = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/incidents/${id}`,
      headers: owner.auth,
      payload: { status: 'investigating' },
    });
    expect(reopen.statusCode).toBe(409);
    expect((await t.ctx.incidents.get(id))?.status).toBe('resolved');

    const viaUpdate = await open('db', 5);
    const resolvedByUpdate = await post(`/api/v1/incidents/${viaUpdate}/updates`, {
      status: 'resolved',
      message: 'Fixed upstream.',
    });
    expect(resolvedByUpdate.statusCode).toBe(201);
    expect(resolvedByUpdate.json()).toMatchObject({ status: 'resolved' });
    expect((await t.ctx.incidents.get(viaUpdate))?.updates.at(-1)).toMatchObject({ message: 'Fixed upstream.' });
  });

  it("hides another owner's incidents: 404 on every route, absent from lists, nothing changed", async () => {
    const id = await open('web', 5);
    expect((await get(`/api/v1/incidents/${id}`, stranger.auth)).statusCode).toBe(404);
    expect((await get('/api/v1/incidents?status=all', stranger.auth)).json()).toMatchObject({ items: [], total: 0 });
    for (const [method, url, payload] of [
      ['POST', `/api/v1/incidents/${id}/ack`, {}],
      ['POST', `/api/v1/incidents/${id}/updates`, { status: 'identified', message: 'mine now' }],
      ['PATCH', `/api/v1/incidents/${id}`, { status: 'monitoring' }],
      ['POST', `/api/v1/incidents/${id}/resolve`, {}],
    ] as const) {
      const response = await t.app.inject({ method, url, headers: stranger.auth, payload });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
    }
    const stored = await t.ctx.incidents.get(id);
    expect(stored).toMatchObject({ status: 'investigating' });
    expect(stored?.acknowledgedAt).toBeUndefined();
    expect(stored?.updates).toHaveLength(1);

    const admin = await t.token({ owner: 'ops', scope: 'admin' });
    expect((await get(`/api/v1/incidents/${id}`, admin.auth)).statusCode).toBe(200);
  });

  it('records the authenticated identity, refusing a `by` in any body with 400 naming it', async () => {
    const id = await open('web', 5);
    await t.ctx.incidents.resolve(await open('db', 5), 'ops', t.clock.now());
    const resolvedId = (await t.ctx.incidents.list()).find((incident) => incident.status === 'resolved')?.id;
    for (const [method, url, payload] of [
      ['POST', `/api/v1/incidents/${id}/ack`, { by: 'the CEO' }],
      ['POST', `/api/v1/incidents/${id}/updates`, { status: 'identified', message: 'x', by: 'the CEO' }],
      ['PATCH', `/api/v1/incidents/${id}`, { status: 'monitoring', by: 'the CEO' }],
      ['POST', `/api/v1/incidents/${id}/resolve`, { by: 'the CEO' }],
      ['PUT', `/api/v1/incidents/${resolvedId}/postmortem`, { markdown: '# x', by: 'the CEO' }],
    ] as const) {
      const response = await t.app.inject({ method, url, headers: owner.auth, payload });
      expect(response.statusCode, `${method} ${url}`).toBe(400);
      expect(paths(response.json()), `${method} ${url}`).toEqual(['by']);
    }
    const stored = await t.ctx.incidents.get(id);
    expect(stored?.acknowledgedAt).toBeUndefined();
    expect(stored?.updates).toHaveLength(1);
    const acked = await t.app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/ack`, headers: owner.auth });
    expect(acked.json().incident.acknowledgedBy).toBe('team-a (team-a-write)');
  });
});
