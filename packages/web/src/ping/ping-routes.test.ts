import { Writable } from 'node:stream';
import { createLogger, MAX_PING_BODY, PING_RATE_LIMIT } from '@vigil/core';
import { writesDuring } from '@vigil/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { readPrefix, seedOwned, TEST_CONFIG, testWebApp } from '../testing.js';

describe('ping routes and the heartbeat API', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  let auth: { authorization: string };
  let id: string;

  beforeEach(async () => {
    t = await testWebApp();
    id = (await seedOwned(t.ctx, 'team-a')).heartbeatId;
    auth = (await t.token({ owner: 'team-a', scope: 'write' })).auth;
  });
  afterEach(() => t.cleanup());

  /** A new token through the API, as `vigil checks token ID` asks for it. */
  async function newToken(): Promise<string> {
    const response = await t.app.inject({ method: 'POST', url: `/api/v1/checks/${id}/token`, headers: auth });
    expect(response.statusCode).toBe(201);
    const body = response.json() as { token: string; pingUrl: string };
    expect(body.pingUrl).toBe(`http://localhost:80/ping/${body.token}`);
    return body.token;
  }

  const pings = async () =>
    (await t.app.inject({ url: `/api/v1/checks/${id}/pings`, headers: auth })).json() as Record<string, unknown>;

  it('records a success, a start, a failure and exit codes, and keeps the body for the API only', async () => {
    const token = await newToken();
    expect((await t.app.inject({ method: 'GET', url: `/ping/${token}` })).json()).toEqual({
      ok: true,
      check: id,
      signal: 'success',
    });
    const failed = await t.app.inject({
      method: 'POST',
      url: `/ping/${token}/3`,
      headers: { 'content-type': 'text/plain' },
      payload: 'rsync: connection reset; password=hunter2',
    });
    expect(failed.json()).toMatchObject({ signal: 3 });
    expect(await pings()).toMatchObject({
      hasToken: true,
      lastKind: 'fail',
      exitCode: 3,
      message: 'rsync: connection reset; password=hunter2',
    });
    // Whatever curl sends: form encoding (curl -d) is text too, never parsed.
    await t.app.inject({
      method: 'POST',
      url: `/ping/${token}/start`,
      payload: 'a=b&c',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(await pings()).toMatchObject({ lastKind: 'start', started: t.clock.now(), message: 'a=b&c' });
    await t.app.inject({ method: 'POST', url: `/ping/${token}/0` });
    expect(await pings()).toMatchObject({ lastKind: 'success', exitCode: 0 });
    await t.app.inject({ method: 'POST', url: `/ping/${token}/fail` });
    expect(await pings()).toMatchObject({ lastKind: 'fail' });
    const status = await t.app.inject({ url: '/api/v2/summary.json' });
    expect(status.body).not.toContain('hunter2');
  });

  it('refuses a body over 10 KB with 413 and records nothing', async () => {
    const token = await newToken();
    const before = await readPrefix(t.ctx);
    const response = await t.app.inject({
      method: 'POST',
      url: `/ping/${token}`,
      payload: 'x'.repeat(MAX_PING_BODY + 1),
      headers: { 'content-type': 'text/plain' },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: expect.stringContaining('10 KB'),
    });
    expect(await readPrefix(t.ctx)).toEqual(before);
    const fits = await t.app.inject({
      method: 'POST',
      url: `/ping/${token}`,
      payload: 'x'.repeat(MAX_PING_BODY),
      headers: { 'content-type': 'text/plain' },
    });
    expect(fits.statusCode).toBe(200);
  });

  it('answers an unknown token 404 and stores nothing; a bad signal 400; HEAD records nothing', async () => {
    const token = await newToken();
    const before = await readPrefix(t.ctx);
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/ping/hb_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      payload: 'hello',
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.body).not.toContain('hb_AAAA');
    expect((await t.app.inject({ method: 'GET', url: `/ping/${token}/256` })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: `/ping/${token}/later` })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'HEAD', url: `/ping/${token}` })).statusCode).toBe(404);
    expect(await readPrefix(t.ctx)).toEqual(before);
  });

  it('answers a ping, known or unknown, in one round trip to Redis', async () => {
    const token = await newToken();
    await t.app.inject({ method: 'POST', url: `/ping/${token}` }); // the script is loaded once per connection
    const known = await writesDuring(t.ctx.redis, () =>
      t.app.inject({ method: 'POST', url: `/ping/${token}/0`, payload: 'done' }),
    );
    const unknown = await writesDuring(t.ctx.redis, () =>
      t.app.inject({ method: 'POST', url: '/ping/hb_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', payload: 'done' }),
    );
    expect({ known, unknown }).toEqual({ known: 1, unknown: 1 });
  });

  it('never writes the token to the log, whatever the answer', async () => {
    const token = await newToken();
    let logged = '';
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logged += String(chunk);
        done();
      },
    });
    const app = buildApp({ ...t.ctx, log: createLogger({ level: 'debug', destination }) });
    try {
      for (const url of [
        `/ping/${token}`,
        `/ping/${token}/9`,
        `/ping/${token}/later`,
        `/ping/${token}x`,
        `/ping/${token}/a/b`,
      ]) {
        await app.inject({ method: 'POST', url, payload: 'x'.repeat(MAX_PING_BODY + 1) });
        await app.inject({ method: 'POST', url });
      }
      for (let i = 0; i < PING_RATE_LIMIT.max; i++) await app.inject({ method: 'GET', url: `/ping/${token}` });
    } finally {
      await app.close();
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged).toContain('/ping/:token');
    expect(logged).not.toContain(token.slice(3));
  });

  it('rate-limits pings per token with 429 and Retry-After', async () => {
    const token = await newToken();
    for (let i = 0; i < PING_RATE_LIMIT.max; i++) {
      expect((await t.app.inject({ method: 'POST', url: `/ping/${token}` })).statusCode).toBe(200);
    }
    const limited = await t.app.inject({ method: 'POST', url: `/ping/${token}/fail` });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(await pings()).toMatchObject({ lastKind: 'success' });
    t.clock.advance(PING_RATE_LIMIT.perMs);
    expect((await t.app.inject({ method: 'POST', url: `/ping/${token}/fail` })).statusCode).toBe(200);
  });

  it('a new token makes the old one unknown; deleting the check forgets its token', async () => {
    const old = await newToken();
    const fresh = await newToken();
    expect((await t.app.inject({ url: `/ping/${old}` })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/ping/${fresh}` })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/checks/${id}`, headers: auth })).statusCode).toBe(204);
    expect((await t.app.inject({ url: `/ping/${fresh}` })).statusCode).toBe(404);
  });

  it('a heartbeat replaced by a probed check loses its token', async () => {
    const token = await newToken();
    const replaced = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/checks/${id}`,
      headers: auth,
      payload: { interval: '1m', vantages: ['alpha'], http: { url: 'https://example.com/' } },
    });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect((await t.app.inject({ url: `/ping/${token}` })).statusCode).toBe(404);
  });

  it('gives a probed check no token: 409 naming its kind', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/checks/team-a-web/token', headers: auth });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.message).toContain('http check');
  });
});

describe('the ping URL a new token comes with', () => {
  it('is on the fleet’s public address when the config names one', async () => {
    const t = await testWebApp({ ...TEST_CONFIG, notifier: { publicUrl: 'https://status.example.com/' } });
    try {
      const { heartbeatId } = await seedOwned(t.ctx, 'team-a');
      const { auth } = await t.token({ owner: 'ops', scope: 'admin' });
      const made = await t.app.inject({ method: 'POST', url: `/api/v1/checks/${heartbeatId}/token`, headers: auth });
      expect(made.json().pingUrl).toMatch(/^https:\/\/status\.example\.com\/ping\/hb_/);
    } finally {
      await t.cleanup();
    }
  });
});
