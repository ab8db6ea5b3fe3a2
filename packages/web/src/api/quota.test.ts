import type { TokenInput } from '@vigil/core';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testWebApp } from '../testing.js';

type Issue = { path: string; message: string };

function check(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, interval: '1m', vantages: ['alpha'], http: { url: `https://example.com/${id}` }, ...overrides };
}

/** A 403 QUOTA_EXCEEDED naming `path`, with the limit in the message. */
function expectOverQuota(response: LightMyRequestResponse, path: string, limit: string): void {
  expect(response.statusCode, response.body).toBe(403);
  const { error } = response.json() as { error: { code: string; message: string; issues: Issue[] } };
  expect(error.code).toBe('QUOTA_EXCEEDED');
  expect(error.issues.map((issue) => issue.path)).toContain(path);
  expect(error.message).toContain(limit);
}

describe('quotas', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  beforeEach(async () => {
    t = await testWebApp();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  async function writer(quota: NonNullable<TokenInput['quota']>, owner = 'team-q') {
    return (await t.token({ owner, scope: 'write', quota })).auth;
  }

  const post = (headers: Record<string, string>, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/v1/checks', headers, payload });
  const put = (headers: Record<string, string>, id: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'PUT', url: `/api/v1/checks/${id}`, headers, payload });

  it('creates exactly the quota of checks, then refuses one more naming quota.checks and stores nothing', async () => {
    const auth = await writer({ checks: 3 });
    for (const id of ['q1', 'q2', 'q3']) expect((await post(auth, check(id))).statusCode).toBe(201);
    const over = await post(auth, check('q4'));
    expectOverQuota(over, 'quota.checks', '3');
    expect(await t.ctx.checks.get('q4')).toBeUndefined();
    expect(await t.ctx.checks.countOwned('team-q')).toBe(3);
  });

  it('counts PUT creates against the same quota, while replacing an owned check stays allowed', async () => {
    const auth = await writer({ checks: 2 });
    expect((await put(auth, 'p1', check('p1'))).statusCode).toBe(201);
    expect((await post(auth, check('p2'))).statusCode).toBe(201);
    expectOverQuota(await put(auth, 'p3', check('p3')), 'quota.checks', '2');
    expect(await t.ctx.checks.get('p3')).toBeUndefined();
    const replaced = await put(auth, 'p1', check('p1', { interval: '5m' }));
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(replaced.json()).toMatchObject({ id: 'p1', intervalMs: 300_000 });
  });

  it('takes an interval equal to the minimum and refuses a shorter one naming interval', async () => {
    const auth = await writer({ minInterval: '2m' });
    expect((await post(auth, check('at-min', { interval: '2m' }))).statusCode).toBe(201);
    const below = await post(auth, check('below', { interval: '1m59s' }));
    expectOverQuota(below, 'interval', '2m');
    // Omitting the interval means the fleet default (30s), which is under the minimum too.
    expectOverQuota(await post(auth, check('default', { interval: undefined })), 'interval', '2m');
    const patched = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/checks/at-min',
      headers: auth,
      payload: { interval: '90s' },
    });
    expectOverQuota(patched, 'interval', '2m');
    expect((await t.ctx.checks.get('at-min'))?.intervalMs).toBe(120_000);
    expect(await t.ctx.checks.countOwned('team-q')).toBe(1);
  });

  it('refuses more vantages per check than the quota, counting a check without a list as all of them', async () => {
    const auth = await writer({ vantages: 2 });
    expect((await post(auth, check('two', { vantages: ['alpha', 'beta'] }))).statusCode).toBe(201);
    expectOverQuota(await post(auth, check('three', { vantages: ['alpha', 'beta', 'gamma'] })), 'vantages', '2');
    const all = await post(auth, check('all', { vantages: undefined }));
    expectOverQuota(all, 'vantages', '2');
    expect(all.json().error.message).toContain('all of them');
    expect(await t.ctx.checks.countOwned('team-q')).toBe(1);
  });

  it('refuses a vantage listed twice as invalid (400 naming it) rather than counting it twice', async () => {
    const auth = await writer({ vantages: 2 });
    const response = await post(auth, check('twice', { vantages: ['alpha', 'beta', 'alpha'] }));
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error.issues).toEqual([
      { in: 'body', path: 'vantages', message: 'expected each vantage once; "alpha" is listed twice' },
    ]);
    expect(await t.ctx.checks.get('twice')).toBeUndefined();
  });

  it('names every quota a check breaks at once', async () => {
    const auth = await writer({ minInterval: '5m', vantages: 1 });
    const response = await post(auth, check('greedy', { interval: '1m', vantages: ['alpha', 'beta'] }));
    expect(response.statusCode).toBe(403);
    expect(response.json().error.issues.map((issue: Issue) => issue.path)).toEqual(['interval', 'vantages']);
  });

  it('lets exactly the quota through when creates race', async () => {
    const auth = await writer({ checks: 2 });
    const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => post(auth, check(`race-${i}`))));
    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses).toEqual([201, 201, 403, 403, 403, 403]);
    expect(await t.ctx.checks.countOwned('team-q')).toBe(2);
    expect((await t.ctx.checks.list()).filter((stored) => stored.owner === 'team-q')).toHaveLength(2);
  });

  it('creates again once an admin raises the quota', async () => {
    const { auth, record } = await t.token({ owner: 'team-q', scope: 'write', quota: { checks: 1 } });
    const admin = (await t.token({ owner: 'ops', scope: 'admin' })).auth;
    expect((await post(auth, check('first'))).statusCode).toBe(201);
    expectOverQuota(await post(auth, check('second')), 'quota.checks', '1');
    const raised = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/tokens/${record.id}`,
      headers: admin,
      payload: { quota: { checks: 2 } },
    });
    expect(raised.statusCode, raised.body).toBe(200);
    expect(raised.json()).toMatchObject({ quota: { checks: 2 }, checksUsed: 1 });
    expect((await post(auth, check('second'))).statusCode).toBe(201);
    expectOverQuota(await post(auth, check('third')), 'quota.checks', '2');
  });

  it('frees a slot when a check is deleted', async () => {
    const auth = await writer({ checks: 1 });
    expect((await post(auth, check('old'))).statusCode).toBe(201);
    expectOverQuota(await post(auth, check('new')), 'quota.checks', '1');
    const removed = await t.app.inject({ method: 'DELETE', url: '/api/v1/checks/old', headers: auth });
    expect(removed.statusCode).toBe(204);
    expect((await post(auth, check('new'))).statusCode).toBe(201);
  });

  it('counts per owner: another owner has slots of its own', async () => {
    const full = await writer({ checks: 1 });
    const other = await writer({ checks: 1 }, 'team-r');
    expect((await post(full, check('mine'))).statusCode).toBe(201);
    expectOverQuota(await post(full, check('more')), 'quota.checks', '1');
    expect((await post(other, check('theirs'))).statusCode).toBe(201);
  });
});
