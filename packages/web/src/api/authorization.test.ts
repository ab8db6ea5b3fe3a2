import { isDeepStrictEqual } from 'node:util';
import type { TokenScope } from '@vigil/core';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webRoutes } from '../app.js';
import {
  dumpPrefix,
  type OwnedFixtures,
  type PrefixDump,
  readPrefix,
  restorePrefix,
  seedOwned,
  testWebApp,
} from '../testing.js';
import type { Route } from './route.js';

type Caller = 'none' | 'malformed' | 'revoked' | 'read' | 'write' | 'admin' | 'other';
const CALLERS: readonly Caller[] = ['none', 'malformed', 'revoked', 'read', 'write', 'admin', 'other'];
/** The scope of each caller that presents a valid token; `other` is a write token of another owner. */
const SCOPE: Partial<Record<Caller, TokenScope>> = { read: 'read', write: 'write', admin: 'admin', other: 'write' };
const RANK: Record<TokenScope, number> = { read: 0, write: 1, admin: 2 };

/** One request per route, with a body the allowed callers succeed with. */
interface Cell {
  url: string;
  payload?: Record<string, unknown>;
  /** The resource belongs to owner A: another owner's token gets the 404 of a missing one. */
  owned?: boolean;
  /** Statuses that differ from what the route's access and `owned` imply. */
  expect?: Partial<Record<Caller, number>>;
}

const HOUR = 3_600_000;

function matrix(a: OwnedFixtures, victimTokenId: string, now: number): Record<string, Cell> {
  const check = `/api/v1/checks/${a.checkId}`;
  const incident = `/api/v1/incidents/${a.incidentId}`;
  const maintenance = `/api/v1/maintenances/${a.maintenanceId}`;
  const window = {
    start: new Date(now + HOUR).toISOString(),
    end: new Date(now + 2 * HOUR).toISOString(),
  };
  return {
    'GET /api/v1/checks': { url: '/api/v1/checks' },
    'POST /api/v1/checks': {
      url: '/api/v1/checks',
      payload: { id: 'new-web', interval: '1m', vantages: ['alpha'], http: { url: 'https://example.com/new' } },
    },
    'GET /api/v1/checks/:id': { url: check, owned: true },
    // The id namespace is shared: creating an id that exists is a conflict whoever owns it.
    'PUT /api/v1/checks/:id': {
      url: check,
      payload: { interval: '2m', vantages: ['alpha'], http: { url: 'https://example.com/' } },
      owned: true,
      expect: { other: 409 },
    },
    'PATCH /api/v1/checks/:id': { url: check, payload: { interval: '5m' }, owned: true },
    'DELETE /api/v1/checks/:id': { url: check, owned: true },
    'POST /api/v1/checks/:id/pause': { url: `${check}/pause`, owned: true },
    'POST /api/v1/checks/:id/resume': { url: `${check}/resume`, owned: true },
    'GET /api/v1/checks/:id/results': { url: `${check}/results`, owned: true },
    'GET /api/v1/checks/:id/uptime': { url: `${check}/uptime`, owned: true },
    'GET /api/v1/incidents': { url: '/api/v1/incidents?status=all' },
    'GET /api/v1/incidents/:id': { url: incident, owned: true },
    'POST /api/v1/incidents/:id/ack': { url: `${incident}/ack`, payload: { by: 'ana' }, owned: true },
    'POST /api/v1/incidents/:id/updates': {
      url: `${incident}/updates`,
      payload: { status: 'identified', message: 'The pool is exhausted.' },
      owned: true,
    },
    'PATCH /api/v1/incidents/:id': { url: incident, payload: { status: 'monitoring' }, owned: true },
    'POST /api/v1/incidents/:id/resolve': { url: `${incident}/resolve`, payload: { message: 'Fixed.' }, owned: true },
    // The seeded incident is open and has no postmortem: a caller past scope and ownership gets the
    // 409 or 404 of that state (postmortem-api.test.ts covers the successes).
    'PUT /api/v1/incidents/:id/postmortem': {
      url: `${incident}/postmortem`,
      payload: { markdown: '# What happened' },
      owned: true,
      expect: { write: 409, admin: 409 },
    },
    'GET /api/v1/incidents/:id/postmortem': {
      url: `${incident}/postmortem`,
      owned: true,
      expect: { read: 404, write: 404, admin: 404 },
    },
    'DELETE /api/v1/incidents/:id/postmortem': {
      url: `${incident}/postmortem`,
      owned: true,
      expect: { write: 404, admin: 404 },
    },
    'GET /api/v1/maintenances': { url: '/api/v1/maintenances' },
    'GET /api/v1/maintenances/:id': { url: maintenance, owned: true },
    // Another owner cannot cover A's check: the same 400 as for a check that does not exist.
    'POST /api/v1/maintenances': {
      url: '/api/v1/maintenances',
      payload: { id: 'new-window', title: 'Failover drill', checks: [a.checkId], ...window },
      expect: { other: 400 },
    },
    'PUT /api/v1/maintenances/:id': {
      url: maintenance,
      payload: { title: 'Database upgrade, moved', checks: [a.checkId], ...window },
      owned: true,
    },
    'DELETE /api/v1/maintenances/:id': { url: maintenance, owned: true },
    'GET /api/v1/vantages': { url: '/api/v1/vantages' },
    'GET /api/v1/oncall': { url: '/api/v1/oncall' },
    'GET /api/v1/status': { url: '/api/v1/status' },
    'POST /api/v1/tokens': { url: '/api/v1/tokens', payload: { owner: 'team-c', scope: 'read' } },
    'GET /api/v1/tokens': { url: '/api/v1/tokens' },
    'GET /api/v1/tokens/self': { url: '/api/v1/tokens/self' },
    'PATCH /api/v1/tokens/:id': { url: `/api/v1/tokens/${victimTokenId}`, payload: { quota: { checks: 50 } } },
    // Non-admins may revoke only the token they present, even one of their own owner.
    'DELETE /api/v1/tokens/:id': {
      url: `/api/v1/tokens/${victimTokenId}`,
      expect: { read: 404, write: 404, other: 404 },
    },
    'GET /ack/:token': { url: `/ack/${a.ackToken}` },
    'GET /healthz': { url: '/healthz' },
    'GET /readyz': { url: '/readyz' },
    'GET /api/v1/openapi.json': { url: '/api/v1/openapi.json' },
  };
}

/** What a caller must get from a route; undefined where the matrix asks for a 2xx. */
function expected(definition: Route, cell: Cell, caller: Caller): { status?: number; code?: string } {
  const override = cell.expect?.[caller];
  if (override !== undefined) return { status: override };
  if (definition.access === 'public') return {};
  const scope = SCOPE[caller];
  if (!scope) return { status: 401, code: 'UNAUTHORIZED' };
  if (RANK[scope] < RANK[definition.access]) return { status: 403, code: 'FORBIDDEN' };
  if (caller === 'other' && cell.owned) return { status: 404, code: 'NOT_FOUND' };
  return {};
}

/** Why a response breaks the matrix, or undefined when it is what the caller should get. */
function mismatch(
  definition: Route,
  want: { status?: number; code?: string },
  response: LightMyRequestResponse,
): string | undefined {
  const got = `${response.statusCode} ${response.body.slice(0, 200)}`;
  if (want.status === undefined) {
    if (response.statusCode < 200 || response.statusCode > 299) return `expected 2xx, got ${got}`;
    return undefined;
  }
  if (response.statusCode !== want.status) return `expected ${want.status}, got ${got}`;
  if (want.code !== undefined && response.json().error?.code !== want.code) return `expected ${want.code}, got ${got}`;
  if (want.status === 401 && !String(response.headers['www-authenticate'] ?? '').startsWith('Bearer')) {
    return 'expected a www-authenticate: Bearer header with the 401';
  }
  if (want.status === 403 && want.code === 'FORBIDDEN' && !response.json().error.message.includes(definition.access)) {
    return `expected the 403 to name the ${definition.access} scope, got ${got}`;
  }
  return undefined;
}

describe('authorization matrix', () => {
  let t: Awaited<ReturnType<typeof testWebApp>>;
  let cells: Record<string, Cell>;
  let headers: Record<Caller, Record<string, string>>;
  let seeded: PrefixDump;
  let seededState: Record<string, string>;
  const state = () => readPrefix(t.ctx, [`${t.ctx.keys.prefix}:rate:`]);
  const ownerA = 'team-a';

  beforeAll(async () => {
    t = await testWebApp();
    const fixtures = await seedOwned(t.ctx, ownerA);
    const victim = await t.token({ owner: ownerA, scope: 'read', name: 'victim' });
    const revoked = await t.token({ owner: ownerA, scope: 'write' });
    await t.ctx.tokens.revoke(revoked.record.id);
    headers = {
      none: {},
      malformed: { authorization: 'Basic dmlnaWw6dmlnaWw=' },
      revoked: revoked.auth,
      read: (await t.token({ owner: ownerA, scope: 'read' })).auth,
      write: (await t.token({ owner: ownerA, scope: 'write' })).auth,
      admin: (await t.token({ owner: 'ops', scope: 'admin' })).auth,
      other: (await t.token({ owner: 'team-b', scope: 'write' })).auth,
    };
    cells = matrix(fixtures, victim.record.id, t.clock.now());
    seeded = await dumpPrefix(t.ctx);
    seededState = await state();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('has an entry for every route, and none for a route that is gone', () => {
    const routes = webRoutes(t.ctx).map((definition) => `${definition.method} ${definition.url}`);
    expect(routes.filter((key) => !(key in cells))).toEqual([]);
    expect(Object.keys(cells).filter((key) => !routes.includes(key))).toEqual([]);
  });

  it.each(CALLERS)('answers %s as its scope and ownership allow, on every route', async (caller) => {
    const failures: string[] = [];
    for (const definition of webRoutes(t.ctx)) {
      const key = `${definition.method} ${definition.url}`;
      const cell = cells[key];
      if (!cell) continue;
      await restorePrefix(t.ctx, seeded);
      const response = await t.app.inject({
        method: definition.method,
        url: cell.url,
        headers: headers[caller],
        ...(cell.payload && { payload: cell.payload }),
      });
      const problem = mismatch(definition, expected(definition, cell, caller), response);
      if (problem) failures.push(`${key} as ${caller}: ${problem}`);
      else if (response.statusCode >= 400 && !isDeepStrictEqual(await state(), seededState)) {
        failures.push(`${key} as ${caller}: refused with ${response.statusCode} but changed Redis`);
      } else if (
        caller === 'other' &&
        definition.access !== 'public' &&
        response.statusCode < 300 &&
        response.body.includes('team-a')
      ) {
        failures.push(`${key} as other: the answer shows owner A's resources: ${response.body.slice(0, 200)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses malformed authorization headers with 401 and a Bearer challenge', async () => {
    await restorePrefix(t.ctx, seeded);
    const token = headers.write.authorization?.replace(/^Bearer /, '') ?? '';
    const malformed = [
      '',
      'Bearer',
      'Bearer ',
      `Bearer ${token} extra`,
      `Token ${token}`,
      `Bearer ${token}x`,
      'Bearer vgl_',
    ];
    for (const authorization of malformed) {
      const response = await t.app.inject({ url: '/api/v1/tokens/self', headers: { authorization } });
      expect(response.statusCode, authorization).toBe(401);
      expect(response.headers['www-authenticate'], authorization).toMatch(/^Bearer realm="vigil"/);
      expect(response.json().error.issues, authorization).toEqual([expect.objectContaining({ path: 'authorization' })]);
    }
  });

  it('lets any token revoke itself, after which it is refused', async () => {
    await restorePrefix(t.ctx, seeded);
    const self = (await t.app.inject({ url: '/api/v1/tokens/self', headers: headers.read })).json();
    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${self.id}`, headers: headers.read });
    expect(revoked.statusCode).toBe(204);
    const after = await t.app.inject({ url: '/api/v1/tokens/self', headers: headers.read });
    expect(after.statusCode).toBe(401);
    expect(after.headers['www-authenticate']).toContain('invalid_token');
  });

  it('answers another owner’s check with the very 404 of a check that does not exist', async () => {
    await restorePrefix(t.ctx, seeded);
    const hidden = await t.app.inject({ url: `/api/v1/checks/${ownerA}-web`, headers: headers.other });
    const missing = await t.app.inject({ url: `/api/v1/checks/${ownerA}-wex`, headers: headers.other });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.body.replace(`${ownerA}-web`, 'ID')).toBe(missing.body.replace(`${ownerA}-wex`, 'ID'));
  });

  it('shows another owner none of A’s checks, incidents, maintenances or tokens in lists', async () => {
    await restorePrefix(t.ctx, seeded);
    const checks = (await t.app.inject({ url: '/api/v1/checks', headers: headers.other })).json();
    expect(checks).toMatchObject({ items: [], total: 0 });
    const incidents = (await t.app.inject({ url: '/api/v1/incidents?status=all', headers: headers.other })).json();
    expect(incidents).toMatchObject({ items: [], total: 0 });
    const maintenances = (await t.app.inject({ url: '/api/v1/maintenances', headers: headers.other })).json();
    expect(maintenances).toEqual({ items: [] });
    const tokens = (await t.app.inject({ url: '/api/v1/tokens', headers: headers.other })).json();
    expect(tokens.items.map((token: { owner: string }) => token.owner)).toEqual(['team-b']);
    const mine = (await t.app.inject({ url: '/api/v1/checks', headers: headers.read })).json();
    expect(mine).toMatchObject({ total: 1, items: [{ id: `${ownerA}-web` }] });
  });
});
