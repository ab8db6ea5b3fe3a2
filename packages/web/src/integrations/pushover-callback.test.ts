import { pushoverCallbackSignature } from '@vigil/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openTestIncident, testWebApp } from '../testing.js';

const MIN = 60_000;
/** The secret `testWebApp` signs with. */
const SECRET = 'test-secret-0123456789abcdef';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
/** What Pushover posts to a callback URL when a user acknowledges (https://pushover.net/api/receipts#callback). */
const PUSHOVER_FORM =
  'receipt=rLqVuqTRh62UzxtmqiaLzQmVcPgiCy&acknowledged=1&acknowledged_at=1764072000&acknowledged_by=uQiRzpo4DXghDmr9QzzfQu27cmVRsG&acknowledged_by_device=ana-phone';

describe('/integrations/pushover/callback, Pushover’s call when an emergency page is acknowledged', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  beforeEach(async () => {
    t = await testWebApp();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const openIncident = (): Promise<string> => openTestIncident(t.ctx);

  /** The callback URL the notifier's Pushover channel writes, with its signature. */
  function callbackUrl(incident: string, options: { episode?: number; by?: string; secret?: string } = {}): string {
    const ref = { incidentId: incident, episode: options.episode ?? 1, by: options.by ?? 'Ana' };
    const sig = pushoverCallbackSignature(options.secret ?? SECRET, ref);
    const query = new URLSearchParams({ incident, episode: String(ref.episode), by: ref.by, sig });
    return `/integrations/pushover/callback?${query}`;
  }
  const call = (url: string, payload = PUSHOVER_FORM) => t.app.inject({ method: 'POST', url, headers: FORM, payload });

  it('acknowledges the incident as the person paged, via pushover', async () => {
    const id = await openIncident();
    const response = await call(callbackUrl(id));
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ outcome: 'acknowledged' });
    const incident = await t.ctx.incidents.get(id);
    expect(incident).toMatchObject({ acknowledgedBy: 'Ana via pushover', acknowledgedAt: t.clock.now() });
  });

  it('lets the first acknowledgement win: a second callback (or a replay) changes nothing', async () => {
    const id = await openIncident();
    await t.ctx.incidents.acknowledge(id, 'Bo', t.clock.now());
    t.clock.advance(MIN);
    const response = await call(callbackUrl(id));
    expect(response.json()).toEqual({ outcome: 'already' });
    expect(await t.ctx.incidents.get(id)).toMatchObject({ acknowledgedBy: 'Bo' });
    expect((await call(callbackUrl(id))).json()).toEqual({ outcome: 'already' });
  });

  it.each([
    ['signed with another secret', (id: string) => callbackUrl(id, { secret: 'not-the-secret' })],
    ['with the person changed', (id: string) => callbackUrl(id).replace('by=Ana', 'by=Mallory')],
    ['with the incident changed', (id: string) => callbackUrl(`${id}x`).replace(`incident=${id}x`, `incident=${id}`)],
    ['with the episode changed', (id: string) => callbackUrl(id).replace('episode=1', 'episode=2')],
    ['with a truncated signature', (id: string) => callbackUrl(id).slice(0, -3)],
  ])('refuses a callback URL %s with 403, logs why, and changes nothing', async (_case, forge) => {
    const id = await openIncident();
    const warn = vi.spyOn(t.ctx.log, 'warn');
    const response = await call(forge(id));
    expect(response.statusCode, response.body).toBe(403);
    expect(response.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ incident: id }),
      'pushover callback refused: its signature does not match (forged or altered URL)',
    );
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
  });

  it('ignores the callback of an earlier episode: a reopened incident is paged anew', async () => {
    const id = await openIncident();
    const response = await call(callbackUrl(id, { episode: 2 }));
    // Episode 2 does not exist yet: the page it names is not this incident's current one.
    expect(response.json()).toEqual({ outcome: 'stale' });
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
  });

  it('answers 404 for an incident that no longer exists, 400 naming the field for a bad query', async () => {
    expect((await call(callbackUrl('inc-gone'))).statusCode).toBe(404);
    const bad = await call('/integrations/pushover/callback?incident=x&episode=zero&by=Ana&sig=abc');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'VALIDATION', issues: [{ path: 'episode', in: 'query' }] } });
    const empty = await call(callbackUrl('inc-gone'), '');
    expect(empty.statusCode).toBe(404);
  });

  it('has no GET: following the URL in a browser changes nothing', async () => {
    const id = await openIncident();
    expect((await t.app.inject({ method: 'GET', url: callbackUrl(id) })).statusCode).toBe(404);
    expect((await t.ctx.incidents.get(id))?.acknowledgedAt).toBeUndefined();
  });
});
