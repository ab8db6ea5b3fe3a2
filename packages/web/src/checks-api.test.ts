import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testWebApp } from './testing.js';

describe('checks API', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  beforeEach(async () => {
    t = await testWebApp();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('creates, reads, lists, patches, pauses and deletes a check', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/checks',
      headers: auth,
      payload: {
        id: 'web',
        component: 'api',
        interval: '1m',
        vantages: ['alpha', 'beta'],
        http: { url: 'https://example.com/', headers: { Authorization: 'Bearer s3cret' } },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      id: 'web',
      owner: 'team-a',
      source: 'api',
      state: 'new',
      intervalMs: 60_000,
    });
    expect(created.body).not.toContain('s3cret');

    const list = await t.app.inject({ url: '/api/v1/checks', headers: auth });
    expect(list.json()).toMatchObject({ total: 1, items: [{ id: 'web' }], nextCursor: null });

    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/checks/web',
      headers: auth,
      payload: { interval: '2m', http: { expect: { status: ['200'] } } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      intervalMs: 120_000,
      http: { expect: { status: [{ min: 200, max: 200 }] } },
    });
    expect((await t.ctx.checks.get('web'))?.http?.headers).toEqual({ Authorization: 'Bearer s3cret' });

    const paused = await t.app.inject({ method: 'POST', url: '/api/v1/checks/web/pause', headers: auth });
    expect(paused.json()).toMatchObject({ paused: true, state: 'paused' });

    const removed = await t.app.inject({ method: 'DELETE', url: '/api/v1/checks/web', headers: auth });
    expect(removed.statusCode).toBe(204);
    expect(await t.ctx.checks.get('web')).toBeUndefined();
  });

  it('names each offending field of a bad body and stores nothing', async () => {
    const { auth } = await t.token({ owner: 'team-a', scope: 'write' });
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/checks',
      headers: auth,
      payload: { id: 'Bad Id', http: { url: 'ftp://x' }, interval: 'soon' },
    });
    expect(response.statusCode).toBe(400);
    const paths = response.json().error.issues.map((issue: { path: string }) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['id', 'http.url', 'interval']));
    expect(await t.ctx.checks.list()).toHaveLength(1);
  });
});
