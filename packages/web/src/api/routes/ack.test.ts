import { createAckToken } from '@vigil/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestIncident, testWebApp } from '../../testing.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** The secret `testWebApp` signs with. */
const SECRET = 'test-secret-0123456789abcdef';

describe('/ack/:token, the signed link in a page', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  beforeEach(async () => {
    t = await testWebApp();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const openIncident = (title?: string): Promise<string> => openTestIncident(t.ctx, { title });

  const link = (incidentId: string, options: { secret?: string; ttlMs?: number; episode?: number } = {}) =>
    createAckToken(options.secret ?? SECRET, {
      incidentId,
      episode: options.episode ?? 1,
      by: 'ana',
      ttlMs: options.ttlMs ?? 24 * HOUR,
      now: t.clock.now(),
    });
  const follow = (token: string) => t.app.inject({ url: `/ack/${token}` });

  function expectPage(response: Awaited<ReturnType<typeof follow>>, status: number, heading: string): void {
    expect(response.statusCode, response.body).toBe(status);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.body).toContain(`<h1>${heading}</h1>`);
  }

  it('acknowledges the incident for the person paged, and says so on a small page', async () => {
    const id = await openIncident();
    const response = await follow(link(id));
    expectPage(response, 200, 'Acknowledged');
    expect(response.body).toContain('Public API: outage');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    const incident = await t.ctx.incidents.get(id);
    expect(incident).toMatchObject({ acknowledgedBy: 'ana', acknowledgedAt: t.clock.now(), status: 'investigating' });
  });

  it('a HEAD request (a mail scanner) neither acknowledges nor uses up the link', async () => {
    const id = await openIncident();
    const token = link(id);
    const head = await t.app.inject({ method: 'HEAD', url: `/ack/${token}` });
    expect(head.statusCode).toBe(405);
    expect(head.headers.allow).toBe('GET');
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
    expectPage(await follow(token), 200, 'Acknowledged');
  });

  it('works once: the same link again is refused', async () => {
    const id = await openIncident();
    const token = link(id);
    expectPage(await follow(token), 200, 'Acknowledged');
    t.clock.advance(MIN);
    const again = await follow(token);
    expectPage(again, 410, 'This link cannot be used');
    expect(again.body).toContain('already been used');
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBe(t.clock.now() - MIN);
  });

  it('says so when someone else acknowledged first, or the incident is resolved', async () => {
    const id = await openIncident();
    await t.ctx.incidents.acknowledge(id, 'bo', t.clock.now());
    const second = await follow(link(id));
    expectPage(second, 200, 'Already acknowledged');
    expect(second.body).toContain('bo acknowledged it first.');
    expect((await t.ctx.incidents.get(id))?.acknowledgedBy).toBe('bo');

    await t.ctx.incidents.resolve(id, 'bo', t.clock.now());
    expectPage(await follow(link(id)), 200, 'Already resolved');
  });

  it('refuses a tampered link and acknowledges nothing', async () => {
    const id = await openIncident();
    const token = link(id);
    const [payload = '', signature = ''] = token.split('.');
    const claim = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...claim, by: 'mallory' })).toString('base64url');
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [
      `${forged}.${signature}`,
      `${payload}.${flipped}`,
      link(id, { secret: 'some-other-secret-0123456789' }),
      'not-a-token',
      `${token}.extra`,
    ]) {
      const response = await follow(bad);
      expectPage(response, 410, 'This link cannot be used');
      expect(response.body).toContain('not valid');
    }
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
    // The real link still works after the forgeries.
    expectPage(await follow(token), 200, 'Acknowledged');
  });

  it('refuses an expired link and acknowledges nothing', async () => {
    const id = await openIncident();
    const token = link(id, { ttlMs: HOUR });
    t.clock.advance(HOUR);
    const response = await follow(token);
    expectPage(response, 410, 'This link cannot be used');
    expect(response.body).toContain('expired');
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
  });

  it('escapes the incident title in the page', async () => {
    const id = await openIncident('<script>alert("x")</script> & <b>co</b>');
    const response = await follow(link(id));
    expectPage(response, 200, 'Acknowledged');
    expect(response.body).not.toContain('<script>');
    expect(response.body).not.toContain('<b>');
    expect(response.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;');
  });

  it('answers a link to an incident that no longer exists with a page, not an error', async () => {
    const response = await follow(link('4242'));
    expectPage(response, 404, 'Incident not found');
    expect(response.body).toContain('Incident 4242 no longer exists.');
  });

  it('does not let a link from an earlier episode acknowledge a reopened incident', async () => {
    const id = await openIncident();
    const stale = link(id, { episode: 1 });
    await t.ctx.incidents.resolve(id, 'vigil', t.clock.now());
    t.clock.advance(MIN);
    await openIncident(); // fails again within the reopen window: episode 2
    expect((await t.ctx.incidents.get(id))?.episode).toBe(2);

    const response = await follow(stale);
    expectPage(response, 410, 'This link cannot be used');
    expect(response.body).toContain('earlier episode');
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();

    expectPage(await follow(link(id, { episode: 2 })), 200, 'Acknowledged');
  });
});
