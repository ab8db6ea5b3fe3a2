import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleForm, consoleSignIn, testWebApp } from '../testing.js';

type App = Awaited<ReturnType<typeof testWebApp>>;

describe('the console tokens page', () => {
  let t: App;
  beforeEach(async () => {
    t = await testWebApp();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('refuses a write session with 403 on every tokens route, and shows it no Tokens link', async () => {
    const { token } = await t.token({ owner: 'team-a', scope: 'write' });
    const { record: other } = await t.token({ owner: 'team-b', scope: 'read' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    const home = await t.app.inject({ method: 'GET', url: '/console', headers: { cookie } });
    expect(home.body).not.toContain('/console/tokens');
    const list = await t.app.inject({ method: 'GET', url: '/console/tokens', headers: { cookie } });
    expect(list.statusCode).toBe(403);
    expect(list.body).toContain('admin scope');
    const create = await t.app.inject({
      method: 'POST',
      url: '/console/tokens',
      ...consoleForm({ _csrf: csrf, owner: 'team-a', scope: 'admin' }),
      headers: { ...consoleForm({}).headers, cookie },
    });
    expect(create.statusCode).toBe(403);
    const revoke = await t.app.inject({
      method: 'POST',
      url: `/console/tokens/${other.id}/revoke`,
      ...consoleForm({ _csrf: csrf }),
      headers: { ...consoleForm({}).headers, cookie },
    });
    expect(revoke.statusCode).toBe(403);
    expect((await t.ctx.tokens.list()).map((record) => record.owner).sort()).toEqual(['team-a', 'team-b']);
  });

  it('creates a token for an admin, showing its secret once (no-store), never in the list', async () => {
    const { token, record: admin } = await t.token({ owner: 'ops', scope: 'admin' });
    const idle = await t.token({ owner: 'team-d', scope: 'read' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    const home = await t.app.inject({ method: 'GET', url: '/console', headers: { cookie } });
    expect(home.body).toContain('href="/console/tokens"');
    const created = await t.app.inject({
      method: 'POST',
      url: '/console/tokens',
      payload: new URLSearchParams({
        _csrf: csrf,
        owner: 'team-c',
        name: 'ci deploys',
        scope: 'write',
        'quota.checks': '7',
        'quota.minInterval': '2m',
        'quota.vantages': '2',
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const secret = /<code id="token-secret">([^<]+)<\/code>/.exec(created.body)?.[1] ?? '';
    const record = await t.ctx.tokens.verify(secret, t.clock.now());
    expect(record).toMatchObject({
      owner: 'team-c',
      name: 'ci deploys',
      scope: 'write',
      quota: { checks: 7, minIntervalMs: 120_000, vantages: 2 },
    });
    const list = await t.app.inject({ method: 'GET', url: '/console/tokens', headers: { cookie } });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`id="token-${record?.id}"`);
    expect(list.body).toContain('0 of 7 checks, every 2m or slower, 2 vantages');
    expect(list.body).not.toContain(secret);
    expect(list.body).not.toMatch(/<script>|<style>| style="/);
    expect(list.body).not.toContain(token);
    // Signing in used the admin's token: its row says when, to the minute; one never used says so.
    const rowOf = (id: string) => new RegExp(`<tr id="token-${id}">[\\s\\S]*?</tr>`).exec(list.body)?.[0] ?? '';
    expect(list.body).toContain('Last used (UTC, to the minute)');
    expect(rowOf(admin.id)).toContain(`<td>${new Date(t.clock.now()).toISOString().slice(0, 16)}Z</td>`);
    expect(rowOf(idle.record.id)).toContain('<span class="muted">never</span>');
  });

  it('re-renders the form naming the field of bad input, and creates nothing', async () => {
    const { token } = await t.token({ owner: 'ops', scope: 'admin' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    const post = (fields: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/console/tokens',
        payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      });
    const badOwner = await post({ owner: 'Not A Slug', scope: 'read' });
    expect(badOwner.statusCode).toBe(400);
    expect(badOwner.body).toMatch(/role="alert">owner: /);
    expect(badOwner.body).toContain('name="owner" value="Not A Slug"');
    const badQuota = await post({ owner: 'team-c', scope: 'read', 'quota.checks': 'lots' });
    expect(badQuota.statusCode).toBe(400);
    expect(badQuota.body).toContain('quota.checks: ');
    const badScope = await post({ owner: 'team-c', scope: 'root' });
    expect(badScope.statusCode).toBe(400);
    expect(badScope.body).toContain('scope: expected one of read, write, admin');
    expect(await t.ctx.tokens.list()).toHaveLength(1);
  });

  it('revokes a token and ends its console sessions', async () => {
    const { token: admin } = await t.token({ owner: 'ops', scope: 'admin' });
    const { token: victim, record } = await t.token({ owner: 'team-a', scope: 'write' });
    const victimSession = await consoleSignIn(t.app, victim);
    const { cookie, csrf } = await consoleSignIn(t.app, admin);
    const revoked = await t.app.inject({
      method: 'POST',
      url: `/console/tokens/${record.id}/revoke`,
      payload: new URLSearchParams({ _csrf: csrf }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    });
    expect(revoked.statusCode, revoked.body).toBe(303);
    expect(revoked.headers.location).toBe('/console/tokens');
    expect(await t.ctx.tokens.get(record.id)).toBeUndefined();
    expect(await t.ctx.redis.exists(t.ctx.keys.consoleSessionsOf(`token:${record.id}`))).toBe(0);
    const after = await t.app.inject({ method: 'GET', url: '/console', headers: { cookie: victimSession.cookie } });
    expect(after.statusCode).toBe(303);
    expect(after.headers.location).toBe('/console/sign-in');
    const list = await t.app.inject({ method: 'GET', url: '/console/tokens', headers: { cookie } });
    expect(list.body).not.toContain(`id="token-${record.id}"`);
  });

  it('refuses a create or revoke without the CSRF token with 403, changing nothing', async () => {
    const { token } = await t.token({ owner: 'ops', scope: 'admin' });
    const { record } = await t.token({ owner: 'team-a', scope: 'read' });
    const { cookie } = await consoleSignIn(t.app, token);
    const headers = { 'content-type': 'application/x-www-form-urlencoded', cookie };
    const create = await t.app.inject({
      method: 'POST',
      url: '/console/tokens',
      payload: new URLSearchParams({ owner: 'team-c', scope: 'admin' }).toString(),
      headers,
    });
    expect(create.statusCode).toBe(403);
    expect(create.body).toContain('_csrf');
    const revoke = await t.app.inject({
      method: 'POST',
      url: `/console/tokens/${record.id}/revoke`,
      headers,
      payload: '',
    });
    expect(revoke.statusCode).toBe(403);
    expect(await t.ctx.tokens.list()).toHaveLength(2);
  });
});
