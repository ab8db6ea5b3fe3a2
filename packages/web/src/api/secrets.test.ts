import { Writable } from 'node:stream';
import { createAckToken, createLogger, tokenInputSchema, validateConfig } from '@vigil/core';
import { testContext } from '@vigil/core/testing';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { WebContext } from '../context.js';
import { TEST_CONFIG } from '../testing.js';
import { createWebContext } from '../web-server.js';

const SECRET = 'test-secret-0123456789abcdef';
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

/** Credential headers a check may send, each with a value that must never come back. */
const CREDENTIALS = {
  Authorization: 'Bearer hdr-auth-5e5e5e',
  Cookie: 'session=hdr-cookie-c00c1e',
  'X-Api-Key': 'hdr-apikey-a91a91',
  'proxy-authorization': 'Basic hdr-proxy-b0b0b0',
  'X-Auth-Token': 'hdr-xauth-7a7a7a',
  'Ocp-Apim-Subscription-Key': 'hdr-azure-4z4z4z',
  'X-Functions-Key': 'hdr-funckey-f00f00',
};
const HEADER_SECRETS = Object.values(CREDENTIALS).map((value) => value.split(/[ =]/).at(-1) ?? value);

/**
 * The web app on real Redis with its log captured line by line, as `vigil web` would log at debug:
 * what a log shipper would see.
 */
async function appWithLog(): Promise<{
  app: FastifyInstance;
  ctx: WebContext;
  lines: string[];
  cleanup(): Promise<void>;
}> {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const base = await testContext('web-secrets', {
    log: createLogger({ level: 'debug', destination }),
    clock: { now: () => NOW },
  });
  const ctx = createWebContext(base, { config: validateConfig(TEST_CONFIG, 'test config'), secret: SECRET });
  const app = buildApp(ctx);
  await app.ready();
  return {
    app,
    ctx,
    lines,
    async cleanup() {
      await app.close();
      await base.cleanup();
    },
  };
}

describe('secrets in responses and logs', () => {
  let w: Awaited<ReturnType<typeof appWithLog>>;
  let admin: { token: string; auth: { authorization: string } };
  beforeEach(async () => {
    w = await appWithLog();
    const created = await w.ctx.tokens.create(tokenInputSchema.parse({ owner: 'ops', scope: 'admin' }), {
      now: NOW,
      createdBy: 'test',
    });
    admin = { token: created.token, auth: { authorization: `Bearer ${created.token}` } };
  });
  afterEach(async () => {
    await w.cleanup();
  });

  const call = (options: InjectOptions) => w.app.inject({ ...options, headers: { ...admin.auth, ...options.headers } });

  function expectNoHeaderSecrets(text: string, where: string): void {
    for (const secret of HEADER_SECRETS) expect(text, where).not.toContain(secret);
  }

  it('redacts credential headers of a check in every response, and stores them intact', async () => {
    const headers = { ...CREDENTIALS, Accept: 'application/json' };
    const body = { id: 'web', http: { url: 'https://example.com/', headers } };
    const responses = [
      await call({ method: 'POST', url: '/api/v1/checks', payload: body }),
      await call({ url: '/api/v1/checks/web' }),
      await call({ url: '/api/v1/checks' }),
      await call({ url: '/api/v1/checks?q=web&limit=1' }),
      await call({ method: 'PATCH', url: '/api/v1/checks/web', payload: { interval: '2m' } }),
      await call({ method: 'PUT', url: '/api/v1/checks/web', payload: { ...body, name: 'Web' } }),
      await call({ method: 'POST', url: '/api/v1/checks/web/pause' }),
      await call({ method: 'POST', url: '/api/v1/checks/web/resume' }),
      await call({ url: '/api/v1/status' }),
    ];
    for (const response of responses) {
      expect(response.statusCode, response.body).toBeLessThan(300);
      expectNoHeaderSecrets(response.body, response.body);
    }
    const shown = responses[1]?.json().http.headers;
    expect(shown).toEqual({
      ...Object.fromEntries(Object.keys(CREDENTIALS).map((name) => [name, '[redacted]'])),
      Accept: 'application/json',
    });
    const stored = await w.ctx.checks.get('web');
    expect(stored?.http?.headers).toEqual(headers);
    expect(stored).toMatchObject({ name: 'Web', intervalMs: 30_000 });

    // Equal revisions mean equal checks: a changed secret changes the revision without showing it.
    const before = responses[5]?.json().revision;
    const rotated = await call({
      method: 'PATCH',
      url: '/api/v1/checks/web',
      payload: { http: { headers: { Authorization: 'Bearer rotated-9d9d9d' } } },
    });
    expect(rotated.json().revision).not.toBe(before);
    expect(rotated.body).not.toContain('rotated-9d9d9d');
    expect((await w.ctx.checks.get('web'))?.http?.headers.Authorization).toBe('Bearer rotated-9d9d9d');
  });

  it('keeps a redacted header removable with a merge patch, and other headers as sent', async () => {
    await call({
      method: 'POST',
      url: '/api/v1/checks',
      payload: {
        id: 'web',
        http: { url: 'https://example.com/', headers: { Cookie: 'c=hdr-cookie-c00c1e', Accept: 'text/plain' } },
      },
    });
    const patched = await call({
      method: 'PATCH',
      url: '/api/v1/checks/web',
      payload: { http: { headers: { Cookie: null } } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().http.headers).toEqual({ Accept: 'text/plain' });
    expect((await w.ctx.checks.get('web'))?.http?.headers).toEqual({ Accept: 'text/plain' });
  });

  it('shows a token only in the response that created it', async () => {
    const created = await call({ method: 'POST', url: '/api/v1/tokens', payload: { owner: 'team-a', scope: 'write' } });
    expect(created.statusCode).toBe(201);
    const { token, id } = created.json();
    // `vgl_<id>_<secret>`: the secret is base64url, so it may itself hold `_` (or end with one); it is
    // everything after the id, never the text after the last `_`.
    const secret = /^vgl_[a-z0-9]{8}_([A-Za-z0-9_-]{32})$/.exec(token)?.[1] ?? '';
    expect(secret, token).toHaveLength(32);
    const auth = { authorization: `Bearer ${token}` };
    const later = [
      await call({ url: '/api/v1/tokens' }),
      await call({ url: '/api/v1/tokens/self' }),
      await call({ url: '/api/v1/tokens/self', headers: auth }),
      await call({ url: '/api/v1/tokens', headers: auth }),
      await call({ method: 'PATCH', url: `/api/v1/tokens/${id}`, payload: { name: 'renamed' } }),
    ];
    for (const response of later) {
      expect(response.statusCode, response.body).toBe(200);
      expect(response.body).not.toContain(token);
      expect(response.body).not.toContain(admin.token);
      expect(response.body).not.toContain(secret);
    }
  });

  it('writes no bearer token, acknowledge link or header secret to the log, on success or refusal', async () => {
    const writer = await call({ method: 'POST', url: '/api/v1/tokens', payload: { owner: 'team-a', scope: 'write' } });
    const writerToken: string = writer.json().token;
    const writerAuth = { authorization: `Bearer ${writerToken}` };
    const unknownToken = `vgl_abcd1234_${'Z'.repeat(32)}`;
    const { id: incidentId } = await w.ctx.incidents.openOrJoin(
      {
        group: 'component:api',
        title: 'API down',
        impact: 'major',
        severity: 'major',
        startedAt: NOW,
        openedMessage: 'API is failing.',
        joinedMessage: '',
      },
      NOW,
      600_000,
    );
    const link = (by: string) => createAckToken(SECRET, { incidentId, episode: 1, by, ttlMs: 3_600_000, now: NOW });
    const ackLink = link('ana');
    const staleLink = createAckToken(SECRET, { incidentId, episode: 1, by: 'bo', ttlMs: 1, now: NOW - 10 });
    const forged = `${ackLink.split('.')[0]}.${'A'.repeat(43)}`;
    const check = { id: 'web', interval: '1m', http: { url: 'https://example.com/', headers: CREDENTIALS } };

    const statuses = [];
    for (const options of [
      { method: 'POST', url: '/api/v1/checks', payload: check, headers: writerAuth },
      { url: '/api/v1/checks/web', headers: writerAuth },
      { method: 'PATCH', url: '/api/v1/checks/web', payload: { interval: 'soon' }, headers: writerAuth },
      { method: 'POST', url: '/api/v1/checks', payload: { ...check, id: 'Bad Id' }, headers: writerAuth },
      {
        method: 'POST',
        url: '/api/v1/checks',
        payload: { ...check, id: 'other', interval: '30s' },
        headers: writerAuth,
      },
      {
        method: 'POST',
        url: '/api/v1/checks',
        payload: '{"id": "web", "http": {',
        headers: { ...writerAuth, 'content-type': 'application/json' },
      },
      { url: '/api/v1/checks', headers: { authorization: `Bearer ${unknownToken}` } },
      { url: '/api/v1/checks', headers: { authorization: `Token ${writerToken}` } },
      { method: 'POST', url: '/api/v1/tokens', payload: { owner: 'x', scope: 'admin' }, headers: writerAuth },
      { url: `/api/v1/nowhere?token=${writerToken}`, headers: writerAuth },
      { url: `/ack/${forged}` },
      { url: `/ack/${staleLink}` },
      { url: `/ack/${ackLink}` },
      { url: `/ack/${ackLink}` },
      { url: `/ack/${'x'.repeat(2_500)}${ackLink}` },
      { method: 'POST', url: `/api/v1/incidents/${incidentId}/ack`, headers: writerAuth },
      { method: 'DELETE', url: `/api/v1/tokens/${writer.json().id}`, headers: writerAuth },
      { url: '/api/v1/checks/web', headers: writerAuth },
    ] as InjectOptions[]) {
      const response = await w.app.inject(options);
      statuses.push(response.statusCode);
      expect(response.body).not.toContain(writerToken);
      expect(response.body).not.toContain(unknownToken);
      expectNoHeaderSecrets(response.body, `${options.method ?? 'GET'} ${options.url}`);
    }
    expect(statuses).toEqual([
      201, 200, 400, 400, 403, 400, 401, 401, 403, 404, 410, 410, 200, 410, 414, 404, 204, 401,
    ]);
    expect((await w.ctx.incidents.get(incidentId))?.acknowledgedBy).toBe('ana');

    // Fault: a record the notifier wrote is unreadable, so the request fails with a 500.
    await w.ctx.redis.hset(w.ctx.keys.vantageProblems, 'alpha:impaired', `{"since": ${NOW}, "why": `);
    const fault = await call({ url: '/api/v1/vantages' });
    expect(fault.statusCode).toBe(500);
    expect(fault.json()).toEqual({
      error: { code: 'INTERNAL', message: 'internal error; the server log has the details', issues: [] },
    });
    expect(fault.body).not.toContain(admin.token);

    const log = w.lines.join('\n');
    expect(w.lines.filter((line) => line.includes('"msg":"request"')).length).toBeGreaterThanOrEqual(statuses.length);
    expect(log).toContain('request failed');
    expect(log).toContain('acknowledged by link');
    for (const secret of [writerToken, unknownToken, admin.token, ackLink, staleLink, forged]) {
      expect(log).not.toContain(secret);
      expect(log).not.toContain(secret.slice(-20));
    }
    expectNoHeaderSecrets(log, 'log');
    expect(log).not.toContain(SECRET);
  });
});
