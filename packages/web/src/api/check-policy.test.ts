import { ALLOWED_TARGET_CORPUS, BLOCKED_TARGET_CORPUS, type CorpusTarget, hasCredentials } from '@vigil/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_CONFIG, testWebApp } from '../testing.js';

const HINT = 'set allowPrivateTargets or list it under allowTargets';

/** A check body probing the corpus entry, with an interval a write token's quota allows. */
function checkBody(id: string, target: CorpusTarget): Record<string, unknown> {
  return {
    id,
    interval: '1m',
    ...(target.http !== undefined && { http: { url: target.http } }),
    ...(target.tcp !== undefined && { tcp: target.tcp }),
  };
}

const pathOf = (target: CorpusTarget) => (target.http !== undefined ? 'http.url' : 'tcp.host');

describe('target policy at registration, through the API', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  afterEach(async () => {
    await t.cleanup();
  });

  async function submit(method: 'POST' | 'PUT', id: string, target: CorpusTarget, auth: { authorization: string }) {
    return t.app.inject({
      method,
      url: method === 'POST' ? '/api/v1/checks' : `/api/v1/checks/${id}`,
      headers: auth,
      payload: checkBody(id, target),
    });
  }

  it('refuses every blocked spelling with the field and how to allow it, and stores nothing', async () => {
    t = await testWebApp();
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    const accepted: string[] = [];
    for (const [i, target] of BLOCKED_TARGET_CORPUS.entries()) {
      for (const method of ['POST', 'PUT'] as const) {
        const response = await submit(method, `blocked-${i}`, target, auth);
        if (response.statusCode !== 400) {
          accepted.push(`${method} ${target.what}: ${response.statusCode}`);
          continue;
        }
        const { error } = response.json();
        expect(error.issues, target.what).toEqual([expect.objectContaining({ path: pathOf(target) })]);
        // A URL with a user or password is refused for that before the policy looks at its host.
        expect(error.issues[0].message, target.what).toContain(hasCredentials(target) ? 'credentials' : HINT);
        expect(error.message, target.what).toContain(`${pathOf(target)}: `);
      }
    }
    expect(accepted).toEqual([]);
    expect((await t.ctx.checks.list()).map((check) => check.id)).toEqual(['from-config']);
    expect(await t.ctx.checks.countOwned('team-a')).toBe(0);
  });

  it('refuses a blocked target patched into a check that was public', async () => {
    t = await testWebApp();
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    const created = await submit('POST', 'web', { what: 'public', http: 'https://example.com/' }, auth);
    expect(created.statusCode, created.body).toBe(201);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/checks/web',
      headers: auth,
      payload: { http: { url: 'http://169.254.169.254/latest/meta-data/' } },
    });
    expect(patched.statusCode).toBe(400);
    expect(patched.json().error.issues).toEqual([expect.objectContaining({ path: 'http.url' })]);
    expect((await t.ctx.checks.get('web'))?.http?.url).toBe('https://example.com/');

    const switched = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/checks/web',
      headers: auth,
      payload: { http: null, tcp: { host: 'localhost', port: 6379 } },
    });
    expect(switched.statusCode).toBe(400);
    expect(switched.json().error.issues).toEqual([expect.objectContaining({ path: 'tcp.host' })]);
    expect((await t.ctx.checks.get('web'))?.kind).toBe('http');
  });

  it('accepts every public target, however it is spelled', async () => {
    t = await testWebApp();
    const { auth } = await t.token({ owner: 'team-a', scope: 'write', quota: { checks: 1000 } });
    for (const [i, target] of ALLOWED_TARGET_CORPUS.entries()) {
      const response = await submit('POST', `allowed-${i}`, target, auth);
      expect(response.statusCode, `${target.what}: ${response.body}`).toBe(201);
    }
    expect(await t.ctx.checks.countOwned('team-a')).toBe(ALLOWED_TARGET_CORPUS.length);
  });

  it('accepts the blocked targets when the fleet sets allowPrivateTargets', async () => {
    t = await testWebApp({ ...TEST_CONFIG, allowPrivateTargets: true });
    const { auth } = await t.token({ owner: 'team-a', scope: 'write', quota: { checks: 1000 } });
    const corpus = BLOCKED_TARGET_CORPUS.filter((target) => !hasCredentials(target));
    for (const [i, target] of corpus.entries()) {
      const response = await submit('POST', `private-${i}`, target, auth);
      expect(response.statusCode, `${target.what}: ${response.body}`).toBe(201);
    }
    expect(await t.ctx.checks.countOwned('team-a')).toBe(corpus.length);
  });

  it('lets through only the ranges listed under allowTargets', async () => {
    t = await testWebApp({ ...TEST_CONFIG, allowTargets: ['127.0.0.0/8'] });
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    const loopbacks: CorpusTarget[] = [
      { what: 'loopback', http: 'http://127.0.0.1:8080/' },
      { what: 'loopback in hex', http: 'http://0x7f000001/' },
      { what: 'localhost', http: 'http://localhost:3000/' },
      { what: 'IPv4-mapped loopback', http: 'http://[::ffff:127.0.0.1]/' },
      { what: 'TCP loopback', tcp: { host: '127.0.0.1', port: 6379 } },
    ];
    for (const [i, target] of loopbacks.entries()) {
      const response = await submit('POST', `loop-${i}`, target, auth);
      expect(response.statusCode, `${target.what}: ${response.body}`).toBe(201);
    }
    for (const [i, target] of [
      { what: 'private', tcp: { host: '10.0.0.1', port: 5432 } },
      { what: 'private URL', http: 'http://10.0.0.1/' },
      { what: 'metadata', http: 'http://169.254.169.254/' },
      { what: 'IPv6 loopback', tcp: { host: '::1', port: 22 } },
    ].entries()) {
      const response = await submit('POST', `private-${i}`, target, auth);
      expect(response.statusCode, target.what).toBe(400);
      expect(response.json().error.issues[0]).toMatchObject({ path: pathOf(target) });
      expect(response.json().error.issues[0].message).toContain(HINT);
    }
    expect(await t.ctx.checks.countOwned('team-a')).toBe(loopbacks.length);
  });
});
