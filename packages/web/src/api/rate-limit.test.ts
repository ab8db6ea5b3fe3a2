import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testWebApp } from '../testing.js';
import { INVALID_TOKEN_LIMIT } from './auth.js';

describe('rate limits per token', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  beforeEach(async () => {
    t = await testWebApp();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const self = (headers: Record<string, string>) => t.app.inject({ url: '/api/v1/tokens/self', headers });

  it('answers max requests per window, then 429 with retry-after, the limit headers and the limit named', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'read', rateLimit: { max: 5, per: '1s' } });
    for (let i = 0; i < 5; i++) {
      const response = await self(auth);
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-ratelimit-limit']).toBe('5');
      expect(response.headers['x-ratelimit-remaining']).toBe(String(4 - i));
      expect(response.headers['x-ratelimit-reset']).toBe('1');
    }
    const limited = await self(auth);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.headers['x-ratelimit-limit']).toBe('5');
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(limited.headers['x-ratelimit-reset']).toBe('1');
    expect(limited.json()).toEqual({
      error: {
        code: 'RATE_LIMITED',
        message: expect.stringContaining('5 requests per 1s'),
        issues: [{ path: 'rateLimit', message: 'at most 5 requests per 1s' }],
      },
    });
  });

  it('counts each token on its own, even tokens of one owner', async () => {
    const busy = await t.token({ owner: 'team-a', scope: 'read', rateLimit: { max: 5, per: '1s' } });
    const calm = await t.token({ owner: 'team-a', scope: 'read', rateLimit: { max: 5, per: '1s' } });
    for (let i = 0; i < 6; i++) await self(busy.auth);
    expect((await self(busy.auth)).statusCode).toBe(429);
    const other = await self(calm.auth);
    expect(other.statusCode).toBe(200);
    expect(other.headers['x-ratelimit-remaining']).toBe('4');
  });

  it('answers again once the fake clock passes the window, not a millisecond before', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'read', rateLimit: { max: 5, per: '1s' } });
    for (let i = 0; i < 5; i++) expect((await self(auth)).statusCode).toBe(200);
    expect((await self(auth)).statusCode).toBe(429);
    t.clock.advance(999);
    expect((await self(auth)).statusCode).toBe(429);
    t.clock.advance(1);
    const again = await self(auth);
    expect(again.statusCode).toBe(200);
    expect(again.headers['x-ratelimit-remaining']).toBe('4');
  });

  it('counts Retry-After down to the end of the window', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'read', rateLimit: { max: 2, per: '1m' } });
    await self(auth);
    await self(auth);
    t.clock.advance(30_000);
    const limited = await self(auth);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('30');
    expect(limited.json().error.message).toContain('2 requests per 60s');
  });

  it('refuses a limited write without changing anything', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write', rateLimit: { max: 1, per: '1s' } });
    await self(auth);
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/checks',
      headers: auth,
      payload: { id: 'late', interval: '1m', vantages: ['alpha'], http: { url: 'https://example.com/' } },
    });
    expect(response.statusCode).toBe(429);
    expect(await t.ctx.checks.get('late')).toBeUndefined();
  });

  it('counts requests a token’s scope refuses, so a read token cannot probe write routes unthrottled', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'read', rateLimit: { max: 2, per: '1s' } });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await t.app.inject({ method: 'DELETE', url: '/api/v1/checks/x', headers: auth })).statusCode);
    }
    expect(statuses).toEqual([403, 403, 429]);
  });

  it('applies a limit an admin raises at once', async () => {
    const { auth, record } = await t.token({ owner: 'team-a', scope: 'read', rateLimit: { max: 1, per: '1m' } });
    const admin = (await t.token({ owner: 'ops', scope: 'admin' })).auth;
    await self(auth);
    expect((await self(auth)).statusCode).toBe(429);
    const raised = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/tokens/${record.id}`,
      headers: admin,
      payload: { rateLimit: { max: 10, per: '1m' } },
    });
    expect(raised.statusCode, raised.body).toBe(200);
    const after = await self(auth);
    expect(after.statusCode).toBe(200);
    expect(after.headers['x-ratelimit-limit']).toBe('10');
  });

  it('does not limit public routes', async () => {
    for (let i = 0; i < 20; i++) expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('answers 30 invalid tokens a minute from one address, then 429 with Retry-After; valid tokens still work', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'read' });
    const from = (remoteAddress: string, headers: Record<string, string>) =>
      t.app.inject({ url: '/api/v1/tokens/self', headers, remoteAddress });
    const guesses = ['Bearer vgl_guess', 'Basic dmlnaWw6dmlnaWw=', `${auth.authorization}x`];
    for (let i = 0; i < INVALID_TOKEN_LIMIT.max; i++) {
      const response = await from('203.0.113.7', { authorization: guesses[i % guesses.length] ?? '' });
      expect(response.statusCode, `guess ${i + 1}`).toBe(401);
    }
    const limited = await from('203.0.113.7', { authorization: 'Bearer vgl_guess' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ code: 'RATE_LIMITED', issues: [{ path: 'authorization' }] });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await from('203.0.113.7', { authorization: 'Basic dmlnaWw6dmlnaWw=' })).statusCode).toBe(429);
    // A valid token from that address (shared behind a NAT, say) is not locked out.
    expect((await from('203.0.113.7', auth)).statusCode).toBe(200);
    // Other addresses, and requests without any token, are not affected.
    expect((await from('203.0.113.8', auth)).statusCode).toBe(200);
    expect((await from('203.0.113.8', { authorization: 'Bearer vgl_guess' })).statusCode).toBe(401);
    expect((await from('203.0.113.7', {})).statusCode).toBe(401);
    // The next window starts afresh.
    t.clock.advance(retryAfter * 1000);
    expect((await from('203.0.113.7', { authorization: 'Bearer vgl_guess' })).statusCode).toBe(401);
  });
});
