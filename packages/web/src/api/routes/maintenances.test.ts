import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_CONFIG, testWebApp } from '../../testing.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

type Issue = { path: string };
const paths = (body: { error: { issues: Issue[] } }) => body.error.issues.map((issue) => issue.path);

/** The test fleet, plus a maintenance declared in vigil.yaml. */
const CONFIG = {
  ...TEST_CONFIG,
  maintenances: [
    {
      id: 'yaml-window',
      title: 'Declared in the file',
      components: ['lb'],
      start: '2026-12-01T00:00:00Z',
      end: '2026-12-01T02:00:00Z',
    },
  ],
};

describe('maintenances API', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  let admin: Awaited<ReturnType<typeof t.token>>;
  let writer: Awaited<ReturnType<typeof t.token>>;
  let now: number;

  beforeEach(async () => {
    t = await testWebApp(CONFIG);
    now = t.clock.now(); // 2026-11-25T12:00Z
    admin = await t.token({ owner: 'ops', scope: 'admin' });
    writer = await t.token({ owner: 'team-a', scope: 'write' });
    for (const [id, auth] of [
      ['web', writer.auth],
      ['other-team', admin.auth],
    ] as const) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/checks',
        headers: auth,
        payload: { id, interval: '1m', http: { url: `https://${id}.example.com/` } },
      });
      expect(response.statusCode, response.body).toBe(201);
    }
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const send = (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, auth = admin.auth) =>
    t.app.inject({ method, url, headers: auth, ...(payload && { payload }) });
  const get = (url: string, auth = admin.auth) => t.app.inject({ url, headers: auth });

  it('creates, reads, lists, replaces and deletes a maintenance; the store holds what was created', async () => {
    const body = {
      id: 'db-upgrade',
      title: 'Database upgrade',
      description: 'Postgres 17',
      components: ['api'],
      start: iso(now - HOUR),
      end: iso(now + HOUR),
    };
    const created = await send('POST', '/api/v1/maintenances', body);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      id: 'db-upgrade',
      source: 'api',
      start: now - HOUR,
      end: now + HOUR,
      active: true,
    });
    const stored = await t.ctx.maintenances.get('db-upgrade');
    expect(stored).toEqual({
      id: 'db-upgrade',
      title: 'Database upgrade',
      description: 'Postgres 17',
      checks: [],
      components: ['api'],
      start: now - HOUR,
      end: now + HOUR,
    });

    const shown = await get('/api/v1/maintenances/db-upgrade', writer.auth);
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({ ...stored, source: 'api' });

    const duplicate = await send('POST', '/api/v1/maintenances', body);
    expect(duplicate.statusCode).toBe(409);

    const list = await get('/api/v1/maintenances', writer.auth);
    expect(list.json().items.map((m: { id: string; source: string }) => [m.id, m.source])).toEqual([
      ['yaml-window', 'config'],
      ['db-upgrade', 'api'],
    ]);

    const replaced = await send('PUT', '/api/v1/maintenances/db-upgrade', {
      ...body,
      title: 'Upgrade, longer',
      end: iso(now + 3 * HOUR),
    });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(await t.ctx.maintenances.get('db-upgrade')).toMatchObject({ title: 'Upgrade, longer', end: now + 3 * HOUR });

    const put = await send('PUT', '/api/v1/maintenances/cdn-swap', {
      title: 'CDN swap',
      checks: ['web'],
      start: iso(now + DAY),
      end: iso(now + DAY + HOUR),
    });
    expect(put.statusCode, put.body).toBe(201);
    expect(await t.ctx.maintenances.get('cdn-swap')).toMatchObject({ id: 'cdn-swap', checks: ['web'] });

    const removed = await send('DELETE', '/api/v1/maintenances/db-upgrade');
    expect(removed.statusCode).toBe(204);
    expect(await t.ctx.maintenances.get('db-upgrade')).toBeUndefined();
    expect((await get('/api/v1/maintenances/db-upgrade')).statusCode).toBe(404);
    expect((await send('DELETE', '/api/v1/maintenances/db-upgrade')).statusCode).toBe(404);
  });

  it('refuses to create, replace or delete a maintenance declared in vigil.yaml', async () => {
    const body = { title: 'Shadow', components: ['api'], start: iso(now), end: iso(now + HOUR) };
    const posted = await send('POST', '/api/v1/maintenances', { ...body, id: 'yaml-window' });
    expect(posted.statusCode).toBe(409);
    expect(paths(posted.json())).toEqual(['id']);
    expect((await send('PUT', '/api/v1/maintenances/yaml-window', body)).statusCode).toBe(409);
    expect((await send('DELETE', '/api/v1/maintenances/yaml-window')).statusCode).toBe(409);
    expect(await t.ctx.maintenances.list()).toEqual([]);

    const shown = await get('/api/v1/maintenances/yaml-window');
    expect(shown.json()).toMatchObject({ id: 'yaml-window', source: 'config', components: ['lb'] });
  });

  it('lets a non-admin cover only its own checks', async () => {
    const window = { start: iso(now + HOUR), end: iso(now + 2 * HOUR) };
    const components = await send(
      'POST',
      '/api/v1/maintenances',
      { id: 'all-api', title: 'API', components: ['api'], ...window },
      writer.auth,
    );
    expect(components.statusCode).toBe(403);
    expect(paths(components.json())).toEqual(['components']);

    const others = await send(
      'POST',
      '/api/v1/maintenances',
      { id: 'theirs', title: 'Theirs', checks: ['other-team', 'web'], ...window },
      writer.auth,
    );
    expect(others.statusCode).toBe(400);
    expect(paths(others.json())).toEqual(['checks[0]']);

    const missing = await send(
      'POST',
      '/api/v1/maintenances',
      { id: 'ghost', title: 'Ghost', checks: ['web', 'no-such-check'], ...window },
      writer.auth,
    );
    expect(missing.statusCode).toBe(400);
    expect(paths(missing.json())).toEqual(['checks[1]']);
    expect(await t.ctx.maintenances.list()).toEqual([]);

    const own = await send(
      'POST',
      '/api/v1/maintenances',
      { id: 'mine', title: 'Mine', checks: ['web'], ...window },
      writer.auth,
    );
    expect(own.statusCode, own.body).toBe(201);
    expect(await t.ctx.maintenances.get('mine')).toMatchObject({ checks: ['web'] });

    // An admin's maintenance is out of a non-admin's reach, as if it did not exist.
    expect(
      (await send('POST', '/api/v1/maintenances', { id: 'ops-only', title: 'Ops', components: ['lb'], ...window }))
        .statusCode,
    ).toBe(201);
    expect((await send('DELETE', '/api/v1/maintenances/ops-only', undefined, writer.auth)).statusCode).toBe(404);
    const hijack = await send(
      'PUT',
      '/api/v1/maintenances/ops-only',
      { title: 'Mine now', checks: ['web'], ...window },
      writer.auth,
    );
    expect(hijack.statusCode).toBe(404);
    expect(await t.ctx.maintenances.get('ops-only')).toMatchObject({ title: 'Ops', components: ['lb'] });
  });

  it('names the fields of a bad body the same way on POST and PUT', async () => {
    const body = { title: 'Bad', checks: ['Not A Slug'], components: ['nope'], start: 'tomorrow', end: iso(now) };
    const posted = await send('POST', '/api/v1/maintenances', { ...body, id: 'bad' });
    expect(posted.statusCode).toBe(400);
    const put = await send('PUT', '/api/v1/maintenances/bad', body);
    expect(put.statusCode).toBe(400);
    expect(paths(put.json()).sort()).toEqual(paths(posted.json()).sort());
    expect(paths(put.json())).toEqual(expect.arrayContaining(['checks[0]', 'start']));

    const unknownComponent = await send('PUT', '/api/v1/maintenances/bad', {
      title: 'Bad',
      components: ['nope'],
      start: iso(now),
      end: iso(now + HOUR),
    });
    expect(unknownComponent.statusCode).toBe(400);
    expect(paths(unknownComponent.json())).toEqual(['components[0]']);
    const mismatch = await send('PUT', '/api/v1/maintenances/bad', {
      id: 'other',
      title: 'Bad',
      components: ['api'],
      start: iso(now),
      end: iso(now + HOUR),
    });
    expect(mismatch.statusCode).toBe(400);
    expect(paths(mismatch.json())).toEqual(['id']);
    expect(await t.ctx.maintenances.list()).toEqual([]);
  });

  it('reports whether each maintenance is active, its window and the next one, by the clock', async () => {
    await send('POST', '/api/v1/maintenances', {
      id: 'now-on',
      title: 'On now',
      components: ['api'],
      start: iso(now - HOUR),
      end: iso(now + HOUR),
    });
    await send('POST', '/api/v1/maintenances', {
      id: 'later',
      title: 'Tomorrow',
      components: ['api'],
      start: iso(now + DAY),
      end: iso(now + DAY + HOUR),
    });
    await send('POST', '/api/v1/maintenances', {
      id: 'nightly',
      title: 'Nightly',
      components: ['lb'],
      start: '2026-11-20T11:30:00Z',
      recurring: { every: '1d', duration: '1h' },
    });
    const byId = async () => {
      const response = await get('/api/v1/maintenances');
      expect(response.statusCode, response.body).toBe(200);
      return Object.fromEntries(response.json().items.map((m: { id: string }) => [m.id, m]));
    };
    const at1130 = Date.parse('2026-11-25T11:30:00Z');

    let views = await byId();
    expect(views['now-on']).toMatchObject({ active: true, window: { start: now - HOUR, end: now + HOUR }, next: null });
    expect(views.later).toMatchObject({
      active: false,
      window: null,
      next: { start: now + DAY, end: now + DAY + HOUR },
    });
    expect(views.nightly).toMatchObject({
      active: true,
      window: { start: at1130, end: at1130 + HOUR },
      next: { start: at1130 + DAY, end: at1130 + DAY + HOUR },
    });
    expect(views['yaml-window']).toMatchObject({ active: false, source: 'config' });
    const active = await get('/api/v1/maintenances?active=true');
    expect(
      active
        .json()
        .items.map((m: { id: string }) => m.id)
        .sort(),
    ).toEqual(['nightly', 'now-on']);

    t.clock.advance(2 * HOUR); // 14:00
    views = await byId();
    expect(views['now-on']).toMatchObject({ active: false, window: null, next: null });
    expect(views.nightly).toMatchObject({ active: false, window: null, next: { start: at1130 + DAY } });
    const inactive = await get('/api/v1/maintenances?active=false');
    expect(
      inactive
        .json()
        .items.map((m: { id: string }) => m.id)
        .sort(),
    ).toEqual(['later', 'nightly', 'now-on', 'yaml-window']);
    expect((await get('/api/v1/maintenances?active=maybe')).statusCode).toBe(400);
  });
});
