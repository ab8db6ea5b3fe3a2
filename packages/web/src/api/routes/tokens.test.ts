import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testWebApp } from '../../testing.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('tokens API', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  let admin: Awaited<ReturnType<typeof t.token>>;
  beforeEach(async () => {
    t = await testWebApp();
    admin = await t.token({ owner: 'ops', scope: 'admin', name: 'root' });
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('shows a new token once; it works at once, lists without it, and stops working when revoked', async () => {
    t.clock.advance(1_000); // listed oldest first: the admin's, then this one
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: admin.auth,
      payload: { owner: 'team-a', scope: 'write', name: 'ci', quota: { checks: 5 } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { token, id } = created.json();
    expect(token).toMatch(new RegExp(`^vgl_${id}_`));
    expect(created.json()).toMatchObject({
      id,
      name: 'ci',
      owner: 'team-a',
      scope: 'write',
      quota: { checks: 5 },
      createdBy: 'ops (root)',
      checksUsed: 0,
    });

    const self = await t.app.inject({ url: '/api/v1/tokens/self', headers: bearer(token) });
    expect(self.statusCode, self.body).toBe(200);
    expect(self.json()).toMatchObject({ id, owner: 'team-a', scope: 'write' });
    const check = await t.app.inject({
      method: 'POST',
      url: '/api/v1/checks',
      headers: bearer(token),
      payload: { id: 'web', interval: '1m', http: { url: 'https://example.com/' } },
    });
    expect(check.statusCode, check.body).toBe(201);

    const hashes = Object.keys(await t.ctx.redis.hgetall(t.ctx.keys.tokensByHash)).filter((k) => !k.startsWith('id:'));
    expect(hashes).toHaveLength(2);
    for (const url of ['/api/v1/tokens', '/api/v1/tokens/self']) {
      const response = await t.app.inject({ url, headers: admin.auth });
      expect(response.statusCode).toBe(200);
      expect(response.body).not.toContain(token);
      expect(response.body).not.toContain(admin.token);
      for (const hash of hashes) expect(response.body).not.toContain(hash);
      expect(response.body).not.toMatch(/vgl_/);
    }
    const list = await t.app.inject({ url: '/api/v1/tokens', headers: admin.auth });
    expect(list.json().items.map((item: { id: string }) => item.id)).toEqual([admin.record.id, id]);
    expect(list.json().items[1]).toMatchObject({ checksUsed: 1 });
    for (const item of list.json().items) expect(Object.keys(item)).not.toContain('token');

    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: admin.auth });
    expect(revoked.statusCode).toBe(204);
    const after = await t.app.inject({ url: '/api/v1/tokens/self', headers: bearer(token) });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('UNAUTHORIZED');
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: admin.auth })).statusCode,
    ).toBe(404);
  });

  it("lets an admin change a token's limits", async () => {
    const writer = await t.token({ owner: 'team-a', scope: 'write' });
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/tokens/${writer.record.id}`,
      headers: admin.auth,
      payload: { quota: { checks: 50, minInterval: '10s' }, rateLimit: { max: 10, per: '1m' } },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      quota: { checks: 50, minIntervalMs: 10_000 },
      rateLimit: { max: 10, perMs: 60_000 },
    });
    expect(patched.body).not.toContain(writer.token);
    expect(await t.ctx.tokens.get(writer.record.id)).toMatchObject({ quota: { checks: 50 } });

    const denied = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/tokens/${writer.record.id}`,
      headers: writer.auth,
      payload: { quota: { checks: 10_000 } },
    });
    expect(denied.statusCode).toBe(403);
    expect((await t.ctx.tokens.get(writer.record.id))?.quota.checks).toBe(50);
  });

  it('keeps non-admins to themselves: no creating, a list of one, revoking only their own', async () => {
    const writer = await t.token({ owner: 'team-a', scope: 'write' });
    const reader = await t.token({ owner: 'team-a', scope: 'read' });

    const create = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: writer.auth,
      payload: { owner: 'team-a', scope: 'admin' },
    });
    expect(create.statusCode).toBe(403);
    expect(await t.ctx.tokens.list()).toHaveLength(3);

    const list = await t.app.inject({ url: '/api/v1/tokens', headers: writer.auth });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((item: { id: string }) => item.id)).toEqual([writer.record.id]);
    expect(list.body).not.toContain(writer.token);

    const others = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${admin.record.id}`,
      headers: writer.auth,
    });
    expect(others.statusCode).toBe(404);
    expect(await t.ctx.tokens.get(admin.record.id)).toBeDefined();
    expect((await t.app.inject({ url: '/api/v1/tokens/self', headers: admin.auth })).statusCode).toBe(200);

    const self = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${reader.record.id}`,
      headers: reader.auth,
    });
    expect(self.statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/tokens/self', headers: reader.auth })).statusCode).toBe(401);
    expect(await t.ctx.tokens.get(reader.record.id)).toBeUndefined();
    expect((await t.app.inject({ url: '/api/v1/tokens/self', headers: writer.auth })).statusCode).toBe(200);
  });

  it('refuses bad token bodies and ids, naming the field', async () => {
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: admin.auth,
      payload: { owner: 'Team A', scope: 'root' },
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .error.issues.map((i: { path: string }) => i.path)
        .sort(),
    ).toEqual(['owner', 'scope']);
    const badId = await t.app.inject({ method: 'DELETE', url: '/api/v1/tokens/nope', headers: admin.auth });
    expect(badId.statusCode).toBe(400);
    expect(await t.ctx.tokens.list()).toHaveLength(1);
  });

  it('notes when a token was last used, once a minute at most, and lists it without the secret', async () => {
    const ci = await t.token({ owner: 'team-a', scope: 'write', name: 'ci' });
    const t0 = t.clock.now();
    const listed = async () => {
      const response = await t.app.inject({ url: '/api/v1/tokens', headers: admin.auth });
      expect(response.body).not.toContain(ci.token);
      const items: { id: string; lastUsedAt: number | null }[] = response.json().items;
      return Object.fromEntries(items.map((item) => [item.id, item.lastUsedAt]));
    };
    const unused = await t.token({ owner: 'team-b', scope: 'read', name: 'idle' });
    expect((await listed())[unused.record.id]).toBeNull();
    expect((await t.app.inject({ url: '/api/v1/checks', headers: ci.auth })).statusCode).toBe(200);
    expect((await listed())[ci.record.id]).toBe(t0);
    // A busy token: many requests within the minute write nothing more.
    t.clock.advance(30_000);
    for (let i = 0; i < 5; i++) await t.app.inject({ url: '/api/v1/checks', headers: ci.auth });
    expect((await listed())[ci.record.id]).toBe(t0);
    t.clock.advance(30_000);
    await t.app.inject({ url: '/api/v1/checks', headers: ci.auth });
    expect((await listed())[ci.record.id]).toBe(t0 + 60_000);
    // A wrong secret of the same id is no use of the token.
    t.clock.advance(120_000);
    const forged = ci.token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await t.app.inject({ url: '/api/v1/checks', headers: bearer(forged) })).statusCode).toBe(401);
    expect((await listed())[ci.record.id]).toBe(t0 + 60_000);
    const self = await t.app.inject({ url: '/api/v1/tokens/self', headers: ci.auth });
    expect(self.json().lastUsedAt).toBe(t0 + 180_000);
    // Revoked: its last use goes with it.
    await t.ctx.tokens.revoke(ci.record.id);
    expect((await t.ctx.tokens.lastUsed([ci.record.id])).get(ci.record.id)).toBeNull();
  });
});
