import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleSignIn, seedOwned, testWebApp } from '../testing.js';

type App = Awaited<ReturnType<typeof testWebApp>>;

describe('the console 404 page', () => {
  let t: App;
  beforeEach(async () => {
    t = await testWebApp();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('answers an unknown /console path with an HTML 404 under the CSP, signed in or not', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: '/console/nowhere/at/all?x=<script>' });
    expect(anonymous.statusCode).toBe(404);
    expect(anonymous.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(anonymous.headers['content-security-policy']).toContain("script-src 'self'");
    expect(anonymous.body).toContain('<h2>Not found</h2>');
    expect(anonymous.body).toContain('no page /console/nowhere/at/all');
    expect(anonymous.body).not.toContain('<script>');
    expect(anonymous.body).not.toContain('href="/console/incidents"');

    const { token } = await t.token({ owner: 'team-a', scope: 'read' });
    const { cookie } = await consoleSignIn(t.app, token);
    for (const [method, url] of [
      ['GET', '/console/nowhere'],
      ['GET', '/console/assets/htmx.000000000000.js'],
      ['DELETE', '/console/incidents'],
    ] as const) {
      const signed = await t.app.inject({ method, url, headers: { cookie } });
      expect(signed.statusCode, url).toBe(404);
      expect(signed.body, url).toContain('<h2>Not found</h2>');
      // Signed in: the console's navigation, so the way back is one click.
      expect(signed.body, url).toContain('href="/console/incidents"');
    }
  });

  it("answers a missing check and another tenant's check with the same page, no stack trace", async () => {
    const theirs = await seedOwned(t.ctx, 'team-b');
    const { token } = await t.token({ owner: 'team-a', scope: 'write' });
    const { cookie } = await consoleSignIn(t.app, token);
    const missing = await t.app.inject({ method: 'GET', url: '/console/checks/no-such-check', headers: { cookie } });
    const foreign = await t.app.inject({
      method: 'GET',
      url: `/console/checks/${theirs.checkId}`,
      headers: { cookie },
    });
    expect(missing.statusCode).toBe(404);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body.replaceAll(theirs.checkId, 'ID')).toBe(missing.body.replaceAll('no-such-check', 'ID'));
    expect(foreign.body).toContain('<h2>Not found</h2>');
    expect(foreign.body).not.toMatch(/ at \S+:\d+|Error:/);
    const incident = await t.app.inject({
      method: 'GET',
      url: `/console/incidents/${theirs.incidentId}`,
      headers: { cookie },
    });
    expect(incident.statusCode).toBe(404);
    expect(incident.body).toContain('<h2>Not found</h2>');
  });

  it("leaves the API's JSON 404 and other paths as they were", async () => {
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/nowhere' });
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('NOT_FOUND');
    const beside = await t.app.inject({ method: 'GET', url: '/consoles' });
    expect(beside.statusCode).toBe(404);
    expect(beside.headers['content-type']).toContain('application/json');
  });
});
