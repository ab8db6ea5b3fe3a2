import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleSignIn, postConsoleForm, seedOwned, testWebApp } from '../testing.js';

type App = Awaited<ReturnType<typeof testWebApp>>;

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('the console maintenances page', () => {
  let t: App;
  beforeEach(async () => {
    t = await testWebApp();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('schedules, edits and cancels through the API rules, and the grid marks the check under maintenance', async () => {
    const mine = await seedOwned(t.ctx, 'team-a');
    const theirs = await seedOwned(t.ctx, 'team-b');
    const { token } = await t.token({ owner: 'team-a', scope: 'write' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    const list = await t.app.inject({ method: 'GET', url: '/console/maintenances', headers: { cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`id="maintenance-${mine.maintenanceId}"`);
    expect(list.body).toContain(`href="/console/maintenances/${mine.maintenanceId}"`);
    expect(list.body).not.toContain(theirs.maintenanceId);

    const now = t.clock.now();
    const created = await postConsoleForm(t.app, cookie, '/console/maintenances', {
      _csrf: csrf,
      id: 'web-deploy',
      title: 'Web deploy',
      checks: `${mine.checkId}`,
      components: '',
      start: iso(now - 60_000),
      end: iso(now + HOUR),
      every: '',
      duration: '',
    });
    expect(created.statusCode, created.body).toBe(303);
    expect(await t.ctx.maintenances.get('web-deploy')).toMatchObject({
      title: 'Web deploy',
      checks: [mine.checkId],
      start: now - 60_000,
      end: now + HOUR,
    });
    // The overview page reads the grid anew (a poll may show a view up to GRID_CACHE_MS old).
    const grid = await t.app.inject({ method: 'GET', url: '/console', headers: { cookie } });
    const row = new RegExp(`id="check-${mine.checkId}"[\\s\\S]*?</tr>`).exec(grid.body)?.[0] ?? '';
    expect(row).toContain('>maintenance<');

    const edit = await t.app.inject({ method: 'GET', url: '/console/maintenances/web-deploy', headers: { cookie } });
    expect(edit.statusCode).toBe(200);
    expect(edit.body).toContain('value="Web deploy"');
    const fields = /<form class="stack"[\s\S]*?<\/form>/.exec(edit.body)?.[0] ?? '';
    const values = Object.fromEntries(
      [...fields.matchAll(/name="([a-z_]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    const saved = await postConsoleForm(t.app, cookie, '/console/maintenances/web-deploy', {
      ...values,
      title: 'Web deploy (v2)',
    });
    expect(saved.statusCode, saved.body).toBe(303);
    expect((await t.ctx.maintenances.get('web-deploy'))?.title).toBe('Web deploy (v2)');

    const cancelled = await postConsoleForm(t.app, cookie, '/console/maintenances/web-deploy/cancel', { _csrf: csrf });
    expect(cancelled.statusCode).toBe(303);
    expect(await t.ctx.maintenances.get('web-deploy')).toBeUndefined();
  });

  it('re-renders the form with the error naming the field, keeping what was typed', async () => {
    const mine = await seedOwned(t.ctx, 'team-a');
    const { token } = await t.token({ owner: 'team-a', scope: 'write' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    const now = t.clock.now();
    const good = { _csrf: csrf, id: 'late', title: 'Typed title', checks: mine.checkId, start: iso(now + HOUR) };
    const backwards = await postConsoleForm(t.app, cookie, '/console/maintenances', { ...good, end: iso(now) });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.body).toMatch(/id="maintenance-error">end: expected end after start/);
    expect(backwards.body).toContain('value="Typed title"');
    const unknown = await postConsoleForm(t.app, cookie, '/console/maintenances', {
      ...good,
      checks: 'nope',
      end: iso(now + 2 * HOUR),
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('checks[0]: expected the id of a check you can see');
    const component = await postConsoleForm(t.app, cookie, '/console/maintenances', {
      ...good,
      checks: '',
      components: 'api',
      end: iso(now + 2 * HOUR),
    });
    expect(component.statusCode).toBe(403);
    expect(component.body).toContain('components: only an admin token');
    const noStart = await postConsoleForm(t.app, cookie, '/console/maintenances', {
      ...good,
      start: '',
      end: iso(now),
    });
    expect(noStart.statusCode).toBe(400);
    expect(noStart.body).toMatch(/id="maintenance-error">start: /);
    const edit = await postConsoleForm(t.app, cookie, `/console/maintenances/${mine.maintenanceId}`, {
      _csrf: csrf,
      title: '',
      checks: mine.checkId,
      start: iso(now + HOUR),
      end: iso(now + 2 * HOUR),
    });
    expect(edit.statusCode).toBe(400);
    expect(edit.body).toMatch(/id="maintenance-error">title: /);
    expect(await t.ctx.maintenances.get('late')).toBeUndefined();
    expect((await t.ctx.maintenances.get(mine.maintenanceId))?.title).toBe('Database upgrade');
  });

  it('refuses without a CSRF token, to a read scope, and answers another tenant’s maintenance with 404', async () => {
    const mine = await seedOwned(t.ctx, 'team-a');
    const theirs = await seedOwned(t.ctx, 'team-b');
    const writer = await consoleSignIn(t.app, (await t.token({ owner: 'team-a', scope: 'write' })).token);
    const reader = await consoleSignIn(t.app, (await t.token({ owner: 'team-a', scope: 'read' })).token);
    const readPage = await t.app.inject({
      method: 'GET',
      url: '/console/maintenances',
      headers: { cookie: reader.cookie },
    });
    expect(readPage.statusCode).toBe(200);
    expect(readPage.body).toContain(mine.maintenanceId);
    expect(readPage.body).not.toMatch(/<form[^>]*action="\/console\/maintenances/);
    const fields = { title: 'x', checks: mine.checkId, start: iso(t.clock.now()), end: iso(t.clock.now() + HOUR) };
    for (const url of [
      '/console/maintenances',
      `/console/maintenances/${mine.maintenanceId}`,
      `/console/maintenances/${mine.maintenanceId}/cancel`,
    ]) {
      expect((await postConsoleForm(t.app, writer.cookie, url, { ...fields, id: 'x' })).statusCode, url).toBe(403);
      const read = await postConsoleForm(t.app, reader.cookie, url, { ...fields, id: 'x', _csrf: reader.csrf });
      expect(read.statusCode, url).toBe(403);
      expect(read.body).toContain('write scope');
    }
    for (const url of [
      `/console/maintenances/${theirs.maintenanceId}`,
      `/console/maintenances/${theirs.maintenanceId}/cancel`,
    ]) {
      expect(
        (await postConsoleForm(t.app, writer.cookie, url, { ...fields, _csrf: writer.csrf })).statusCode,
        url,
      ).toBe(404);
    }
    const foreignEdit = await t.app.inject({
      method: 'GET',
      url: `/console/maintenances/${theirs.maintenanceId}`,
      headers: { cookie: writer.cookie },
    });
    expect(foreignEdit.statusCode).toBe(404);
    expect(await t.ctx.maintenances.get(theirs.maintenanceId)).toBeDefined();
    expect((await t.ctx.maintenances.get(mine.maintenanceId))?.title).toBe('Database upgrade');
  });
});
