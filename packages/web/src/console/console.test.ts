import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleForm, consoleSignIn, keysUnder, seedOwned, testWebApp } from '../testing.js';
import { DEFAULT_SESSION_POLICY } from './session/session-store.js';

type App = Awaited<ReturnType<typeof testWebApp>>;

describe('the console', () => {
  let t: App;
  beforeEach(async () => {
    t = await testWebApp();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('sends a visitor without a session to sign in, under a strict CSP with fingerprinted assets', async () => {
    const home = await t.app.inject({ method: 'GET', url: '/console' });
    expect(home.statusCode).toBe(303);
    expect(home.headers.location).toBe('/console/sign-in');
    const page = await t.app.inject({ method: 'GET', url: '/console/sign-in' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(page.body).not.toMatch(/<script>|<style>| style="/);
    const scripts = [...page.body.matchAll(/src="(\/console\/assets\/htmx\.[0-9a-f]{12}\.js)"/g)];
    expect(scripts).toHaveLength(1);
    const asset = await t.app.inject({ method: 'GET', url: scripts[0]?.[1] ?? '' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect(asset.body).toContain('htmx');
  });

  it('refuses an unknown token with 401 and no cookie, and an empty one naming the field', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/console/sign-in', ...consoleForm({ token: 'vgl_nope' }) });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['set-cookie']).toBeUndefined();
    expect(bad.body).toContain('token: unknown or revoked');
    const empty = await t.app.inject({ method: 'POST', url: '/console/sign-in', ...consoleForm({}) });
    expect(empty.statusCode).toBe(401);
    expect(empty.body).toContain('token: paste an API token');
  });

  it('refuses a sign-in posted from another site, even with a good token', async () => {
    const { token } = await t.token({ owner: 'team-a', scope: 'write' });
    const { payload, headers } = consoleForm({ token });
    const response = await t.app.inject({
      method: 'POST',
      url: '/console/sign-in',
      payload,
      headers: { ...headers, origin: 'https://evil.example' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.body).toContain('origin:');
  });

  it('takes a same-origin sign-in whose Host names the default port or capitals, and refuses a look-alike', async () => {
    const { token } = await t.token({ owner: 'team-a', scope: 'write' });
    const signIn = (host: string, origin: string) =>
      t.app.inject({
        method: 'POST',
        url: '/console/sign-in',
        payload: new URLSearchParams({ token }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', host, origin },
      });
    expect((await signIn('vigil.example.com:443', 'https://vigil.example.com')).statusCode).toBe(303);
    expect((await signIn('VIGIL.example.com', 'https://vigil.example.com')).statusCode).toBe(303);
    expect((await signIn('localhost:80', 'http://localhost')).statusCode).toBe(303);
    for (const [host, origin] of [
      ['vigil.example.com:443', 'http://vigil.example.com'],
      ['vigil.example.com', 'https://vigil.example.com.evil.example'],
      ['vigil.example.com/@evil.example', 'https://evil.example'],
      ['vigil.example.com', 'null'],
      ['', 'https://vigil.example.com'],
    ] as const) {
      const refused = await signIn(host, origin);
      // Fastify itself answers a Host that is no host with 400; the console refuses the rest.
      expect([400, 403], `${host} from ${origin}: ${refused.statusCode}`).toContain(refused.statusCode);
      expect(refused.headers['set-cookie']).toBeUndefined();
    }
  });

  it('turns a token into a Redis session (HttpOnly, Secure, SameSite=Strict) that keeps no secret', async () => {
    const { token, record } = await t.token({ owner: 'team-a', scope: 'write' });
    const response = await t.app.inject({ method: 'POST', url: '/console/sign-in', ...consoleForm({ token }) });
    expect(response.statusCode).toBe(303);
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-vigil-console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const sessionKeys = (await keysUnder(t.ctx)).filter((key) => key.includes(':console:session:'));
    expect(sessionKeys).toHaveLength(1);
    const stored = (await t.ctx.redis.get(sessionKeys[0] ?? '')) ?? '';
    expect(JSON.parse(stored).principal).toEqual({
      id: `token:${record.id}`,
      owner: 'team-a',
      scope: 'write',
      name: record.name,
      tokenId: record.id,
    });
    expect(stored).not.toContain(token);
    const id = cookie.split(';')[0]?.split('=')[1] ?? '';
    expect(sessionKeys[0]).not.toContain(id);
    expect(await t.ctx.redis.pttl(sessionKeys[0] ?? '')).toBeLessThanOrEqual(DEFAULT_SESSION_POLICY.idleMs);
  });

  it("shows only the checks the token may see, and answers an unchanged grid's poll with 304", async () => {
    await seedOwned(t.ctx, 'team-a');
    await seedOwned(t.ctx, 'team-b');
    const { token } = await t.token({ owner: 'team-a', scope: 'read' });
    const { cookie } = await consoleSignIn(t.app, token);
    const page = await t.app.inject({ method: 'GET', url: '/console', headers: { cookie } });
    expect(page.body).toContain('id="check-team-a-web"');
    expect(page.body).not.toContain('team-b-web');
    expect(page.body).not.toContain('from-config');
    const grid = await t.app.inject({ method: 'GET', url: '/console/grid', headers: { cookie } });
    expect(grid.statusCode).toBe(200);
    const etag = String(grid.headers.etag);
    const again = await t.app.inject({
      method: 'GET',
      url: '/console/grid',
      headers: { cookie, 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const filtered = await t.app.inject({ method: 'GET', url: '/console/grid?q=backup', headers: { cookie } });
    expect(filtered.body).toContain('team-a-backup');
    expect(filtered.body).not.toContain('id="check-team-a-web"');
    const bad = await t.app.inject({ method: 'GET', url: '/console?state=purple', headers: { cookie } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('state');
  });

  it('marks paused checks and checks under maintenance in every cell, and the vantages with no heartbeat silent', async () => {
    const { checkId } = await seedOwned(t.ctx, 'team-a');
    const { token } = await t.token({ owner: 'team-a', scope: 'read' });
    const { cookie } = await consoleSignIn(t.app, token);
    const grid = await t.app.inject({ method: 'GET', url: '/console/grid', headers: { cookie } });
    expect(grid.body).toContain('0 ok · 0 impaired · 3 silent');
    const row = (body: string) => new RegExp(`id="check-${checkId}"[\\s\\S]*?</tr>`).exec(body)?.[0] ?? '';
    expect(row(grid.body)).toContain('state-unknown');
    // seedOwned's maintenance starts in an hour (past the idle expiry: a new session).
    t.clock.advance(3_600_000 + 1_000);
    const later = await consoleSignIn(t.app, token);
    const during = await t.app.inject({ method: 'GET', url: '/console/grid', headers: { cookie: later.cookie } });
    expect(row(during.body).match(/>maintenance</g)).toHaveLength(3);
    const check = await t.ctx.checks.get(checkId);
    await t.ctx.checks.put({ ...(check ?? ({} as never)), paused: true });
    const paused = await t.app.inject({
      method: 'GET',
      url: '/console/grid?state=paused',
      headers: { cookie: later.cookie },
    });
    expect(row(paused.body).match(/>paused</g)).toHaveLength(3);
  });

  it('acknowledges through the API rules with a CSRF token, and refuses a POST without one with 403', async () => {
    const { incidentId } = await seedOwned(t.ctx, 'team-a');
    const { token, record } = await t.token({ owner: 'team-a', scope: 'write' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    const url = `/console/incidents/${incidentId}/ack`;
    const missing = await t.app.inject({
      method: 'POST',
      url,
      ...consoleForm({}),
      headers: { ...consoleForm({}).headers, cookie },
    });
    expect(missing.statusCode).toBe(403);
    const wrong = await t.app.inject({
      method: 'POST',
      url,
      ...consoleForm({ _csrf: 'x'.repeat(32) }),
      headers: { ...consoleForm({}).headers, cookie },
    });
    expect(wrong.statusCode).toBe(403);
    const foreign = await t.app.inject({
      method: 'POST',
      url,
      ...consoleForm({ _csrf: csrf }),
      headers: { ...consoleForm({}).headers, cookie, origin: 'https://evil.example' },
    });
    expect(foreign.statusCode).toBe(403);
    expect((await t.ctx.incidents.get(incidentId))?.acknowledgedAt).toBeUndefined();
    const done = await t.app.inject({ method: 'POST', url, headers: { cookie, 'x-csrf-token': csrf } });
    expect(done.statusCode, done.body).toBe(303);
    expect((await t.ctx.incidents.get(incidentId))?.acknowledgedBy).toBe(`team-a (${record.name}) via console`);
    const resolved = await t.app.inject({
      method: 'POST',
      url: `/console/incidents/${incidentId}/resolve`,
      ...consoleForm({ _csrf: csrf }),
      headers: { ...consoleForm({}).headers, cookie },
    });
    expect(resolved.statusCode).toBe(303);
    expect((await t.ctx.incidents.get(incidentId))?.status).toBe('resolved');
  });

  it('gives a read-scoped session no action buttons and 403 from every action', async () => {
    const { incidentId } = await seedOwned(t.ctx, 'team-a');
    const { token } = await t.token({ owner: 'team-a', scope: 'read' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    const page = await t.app.inject({ method: 'GET', url: `/console/incidents/${incidentId}`, headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/Acknowledge<|Resolve</);
    for (const action of ['ack', 'resolve']) {
      const response = await t.app.inject({
        method: 'POST',
        url: `/console/incidents/${incidentId}/${action}`,
        headers: { cookie, 'x-csrf-token': csrf },
      });
      expect(response.statusCode, action).toBe(403);
      expect(response.body).toContain('write scope');
    }
    expect((await t.ctx.incidents.get(incidentId))?.status).not.toBe('resolved');
  });

  it("answers another tenant's incident with the API's 404, page and action alike", async () => {
    const theirs = await seedOwned(t.ctx, 'team-b');
    const { token } = await t.token({ owner: 'team-a', scope: 'write' });
    const { cookie, csrf } = await consoleSignIn(t.app, token);
    const mine = await seedOwned(t.ctx, 'team-a');
    const list = await t.app.inject({ method: 'GET', url: '/console/incidents', headers: { cookie } });
    expect(list.body).toContain(`href="/console/incidents/${mine.incidentId}"`);
    expect(list.body).not.toContain(`href="/console/incidents/${theirs.incidentId}"`);
    const page = await t.app.inject({
      method: 'GET',
      url: `/console/incidents/${theirs.incidentId}`,
      headers: { cookie },
    });
    expect(page.statusCode).toBe(404);
    const ack = await t.app.inject({
      method: 'POST',
      url: `/console/incidents/${theirs.incidentId}/ack`,
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(ack.statusCode).toBe(404);
    expect((await t.ctx.incidents.get(theirs.incidentId))?.acknowledgedAt).toBeUndefined();
  });

  it('ends a session after the idle expiry, and after the absolute one however busy', async () => {
    const { token } = await t.token({ owner: 'team-a', scope: 'read' });
    const idle = await consoleSignIn(t.app, token);
    t.clock.advance(DEFAULT_SESSION_POLICY.idleMs + 1);
    const late = await t.app.inject({ method: 'GET', url: '/console', headers: { cookie: idle.cookie } });
    expect(late.statusCode).toBe(303);

    const busy = await consoleSignIn(t.app, token);
    const step = DEFAULT_SESSION_POLICY.idleMs / 2;
    for (let used = step; used < DEFAULT_SESSION_POLICY.absoluteMs; used += step) {
      t.clock.advance(step);
      const response = await t.app.inject({ method: 'GET', url: '/console/grid', headers: { cookie: busy.cookie } });
      expect(response.statusCode, `after ${used} ms`).toBe(200);
    }
    t.clock.advance(step);
    const over = await t.app.inject({
      method: 'GET',
      url: '/console/grid',
      headers: { cookie: busy.cookie, 'hx-request': 'true' },
    });
    expect(over.statusCode).toBe(401);
    expect(over.headers['hx-redirect']).toBe('/console/sign-in');
  });

  it('signs out one session, or every session of the token, and a revoked token ends its sessions', async () => {
    const { token, record } = await t.token({ owner: 'team-a', scope: 'read' });
    const a = await consoleSignIn(t.app, token);
    const b = await consoleSignIn(t.app, token);
    const c = await consoleSignIn(t.app, token);
    const out = await t.app.inject({
      method: 'POST',
      url: '/console/sign-out',
      headers: { cookie: a.cookie, 'x-csrf-token': a.csrf },
    });
    expect(out.statusCode).toBe(303);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await t.app.inject({ method: 'GET', url: '/console', headers: { cookie: a.cookie } })).statusCode).toBe(
      303,
    );
    expect((await t.app.inject({ method: 'GET', url: '/console', headers: { cookie: b.cookie } })).statusCode).toBe(
      200,
    );
    const everywhere = await t.app.inject({
      method: 'POST',
      url: '/console/sign-out-everywhere',
      headers: { cookie: b.cookie, 'x-csrf-token': b.csrf },
    });
    expect(everywhere.statusCode).toBe(303);
    for (const session of [b, c]) {
      expect(
        (await t.app.inject({ method: 'GET', url: '/console', headers: { cookie: session.cookie } })).statusCode,
      ).toBe(303);
    }
    const d = await consoleSignIn(t.app, token);
    await t.ctx.tokens.revoke(record.id);
    expect((await t.app.inject({ method: 'GET', url: '/console', headers: { cookie: d.cookie } })).statusCode).toBe(
      303,
    );
  });
});
