import { isDeepStrictEqual } from 'node:util';
import { type IncidentMember, pushoverCallbackSignature, type TokenScope } from '@vigil/core';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webRoutes } from '../app.js';
import type { WebContext } from '../context.js';
import {
  dumpPrefix,
  type OwnedFixtures,
  type PrefixDump,
  readPrefix,
  restorePrefix,
  seedOwned,
  TEST_CONFIG,
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
/** What every caller gets from a provider's callback route without the provider's signature. */
const PROVIDER_ONLY = Object.fromEntries(CALLERS.map((caller) => [caller, 403])) as Record<Caller, number>;

/**
 * Owners and grants: the operators own `api` and `lb` (and the check `ops-lb` in lb); team-b owns
 * `shop` and its own policy, and may publish; team-a (the `read` and `write` callers) is granted
 * `api` and `default`, not `lb`, and may not publish; `other` is a write token of team-b.
 */
const MATRIX_CONFIG = {
  ...TEST_CONFIG,
  components: [...TEST_CONFIG.components, { id: 'shop', name: 'Shop', owner: 'team-b' }],
  escalations: [...TEST_CONFIG.escalations, { id: 'team-b-oncall', levels: [{ notify: ['person:ana'] }] }],
  grants: [
    { owner: 'team-a', components: ['api'], escalations: ['default'] },
    { owner: 'team-b', escalations: ['team-b-oncall'], publish: true },
  ],
  checks: [
    ...TEST_CONFIG.checks,
    { id: 'ops-lb', component: 'lb', http: { url: 'https://lb.example.com/health?api_key=s3cret' } },
  ],
};

/** The signed callback URL a Pushover page of episode 1 carries (signed with `testWebApp`'s secret). */
function pushoverCallbackUrl(incidentId: string, by = 'Ana'): string {
  const sig = pushoverCallbackSignature('test-secret-0123456789abcdef', { incidentId, episode: 1, by });
  return `/integrations/pushover/callback?${new URLSearchParams({ incident: incidentId, episode: '1', by, sig })}`;
}

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
    // Another owner's id answers the 404 of a missing one: PUT is no oracle for which ids exist.
    'PUT /api/v1/checks/:id': {
      url: check,
      payload: { interval: '2m', vantages: ['alpha'], http: { url: 'https://example.com/' } },
      owned: true,
    },
    'PATCH /api/v1/checks/:id': { url: check, payload: { interval: '5m' }, owned: true },
    'DELETE /api/v1/checks/:id': { url: check, owned: true },
    'POST /api/v1/checks/:id/pause': { url: `${check}/pause`, owned: true },
    'POST /api/v1/checks/:id/resume': { url: `${check}/resume`, owned: true },
    'GET /api/v1/checks/:id/results': { url: `${check}/results`, owned: true },
    'GET /api/v1/checks/:id/latency': { url: `${check}/latency?range=24h`, owned: true },
    'GET /api/v1/checks/:id/uptime': { url: `${check}/uptime`, owned: true },
    // Making a ping token is editing the heartbeat check; its pings' last message is for those who see it.
    'POST /api/v1/checks/:id/token': { url: `/api/v1/checks/${a.heartbeatId}/token`, owned: true },
    'GET /api/v1/checks/:id/pings': { url: `/api/v1/checks/${a.heartbeatId}/pings`, owned: true },
    'GET /api/v1/incidents': { url: '/api/v1/incidents?status=all' },
    'GET /api/v1/incidents/:id': { url: incident, owned: true },
    'POST /api/v1/incidents/:id/ack': { url: `${incident}/ack`, payload: {}, owned: true },
    // A's incident shows on the status page and an update's message shows there word for word:
    // team-a may not publish, so 403 naming `message` (it still acks, changes status and resolves).
    'POST /api/v1/incidents/:id/updates': {
      url: `${incident}/updates`,
      payload: { status: 'identified', message: 'The pool is exhausted.' },
      owned: true,
      expect: { write: 403 },
    },
    'PATCH /api/v1/incidents/:id': { url: incident, payload: { status: 'monitoring' }, owned: true },
    'POST /api/v1/incidents/:id/resolve': { url: `${incident}/resolve`, payload: {}, owned: true },
    // The seeded incident is open and has no postmortem: a caller past scope, ownership and the
    // publish right gets the 409 or 404 of that state (postmortem.test.ts covers the successes).
    // team-a may not publish: 403 naming `public`.
    'PUT /api/v1/incidents/:id/postmortem': {
      url: `${incident}/postmortem`,
      payload: { markdown: '# What happened' },
      owned: true,
      expect: { write: 403, admin: 409 },
    },
    'GET /api/v1/incidents/:id/postmortem': {
      url: `${incident}/postmortem`,
      owned: true,
      expect: { read: 404, write: 404, admin: 404 },
    },
    'DELETE /api/v1/incidents/:id/postmortem': {
      url: `${incident}/postmortem`,
      owned: true,
      expect: { write: 403, admin: 404 },
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
    // Provider callbacks answer to the provider's signature only: an API token opens nothing.
    'POST /integrations/twilio/voice': { url: `/integrations/twilio/voice?token=${a.ackToken}`, expect: PROVIDER_ONLY },
    'POST /integrations/telegram/webhook': {
      url: '/integrations/telegram/webhook',
      payload: { update_id: 1 },
      expect: PROVIDER_ONLY,
    },
    'POST /integrations/pushover/callback': { url: pushoverCallbackUrl(a.incidentId), payload: { receipt: 'r1' } },
    'POST /integrations/slack/actions': { url: '/integrations/slack/actions', payload: {}, expect: PROVIDER_ONLY },
    'POST /integrations/pagerduty/webhook': {
      url: '/integrations/pagerduty/webhook',
      payload: {},
      expect: PROVIDER_ONLY,
    },
    'POST /integrations/opsgenie/webhook': {
      url: '/integrations/opsgenie/webhook',
      payload: {},
      expect: PROVIDER_ONLY,
    },
    'GET /healthz': { url: '/healthz' },
    'GET /readyz': { url: '/readyz' },
    'GET /api/v1/openapi.json': { url: '/api/v1/openapi.json' },
  };
}

/** The operators' incidents the cross-owner rows act on. */
interface OperatorIncidents {
  /** Open, in `lb`: granted to nobody. */
  lb: string;
  /** Open, in `api`: granted to team-a. */
  api: string;
  /** Resolved, in `lb`, with a published postmortem. */
  lbResolved: string;
}

/**
 * A cross-owner row: one request, and what every caller gets. A 403 that tenancy refuses names
 * `field`; 2xx is written 200 (any 2xx passes).
 */
interface CrossRow {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  payload?: Record<string, unknown>;
  expect: Record<Caller, number>;
  field?: string;
}

const UNAUTHENTICATED = { none: 401, malformed: 401, revoked: 401 } as const;

function newCheck(id: string, extra: Record<string, unknown>): Record<string, unknown> {
  return { id, interval: '1m', vantages: ['alpha'], http: { url: `https://${id}.example.com/` }, ...extra };
}

/** Components, incidents, escalation policies and publishing across owners, for every caller. */
function crossOwnerRows(a: OwnedFixtures, ops: OperatorIncidents): Record<string, CrossRow> {
  const incidentRows = (name: string, id: string, a2xx: number) => {
    const url = `/api/v1/incidents/${id}`;
    const read = { ...UNAUTHENTICATED, read: a2xx, write: a2xx, other: 404, admin: 200 };
    const act = { ...UNAUTHENTICATED, read: 403, write: a2xx, other: 404, admin: 200 };
    return {
      [`incident ${name}: read`]: { method: 'GET', url, expect: read },
      [`incident ${name}: ack`]: { method: 'POST', url: `${url}/ack`, payload: {}, expect: act },
      // A free-text message shows on the status page: team-a, granted but not publishing, is refused.
      [`incident ${name}: update`]: {
        method: 'POST',
        url: `${url}/updates`,
        payload: { status: 'identified', message: 'Mine now.' },
        expect: { ...act, write: a2xx === 200 ? 403 : a2xx },
        field: 'message',
      },
      [`incident ${name}: status`]: { method: 'PATCH', url, payload: { status: 'monitoring' }, expect: act },
      [`incident ${name}: resolve`]: { method: 'POST', url: `${url}/resolve`, payload: {}, expect: act },
    } satisfies Record<string, CrossRow>;
  };
  const postmortem = `/api/v1/incidents/${ops.lbResolved}/postmortem`;
  const post = (payload: Record<string, unknown>, expect: Partial<Record<Caller, number>>, field?: string) => ({
    method: 'POST' as const,
    url: '/api/v1/checks',
    payload,
    expect: { ...UNAUTHENTICATED, read: 403, write: 201, other: 201, admin: 201, ...expect },
    ...(field !== undefined && { field }),
  });
  return {
    'component of the operators, granted to nobody (lb)': post(
      newCheck('in-lb', { component: 'lb' }),
      { write: 403, other: 403 },
      'component',
    ),
    'component of the operators, granted to team-a (api)': post(
      newCheck('in-api', { component: 'api' }),
      { other: 403 },
      'component',
    ),
    'component owned by team-b (shop)': post(newCheck('in-shop', { component: 'shop' }), { write: 403 }, 'component'),
    'component changed by PATCH to the operators’ lb': {
      method: 'PATCH',
      url: `/api/v1/checks/${a.checkId}`,
      payload: { component: 'lb' },
      expect: { ...UNAUTHENTICATED, read: 403, write: 403, other: 404, admin: 200 },
      field: 'component',
    },
    'escalation of the operators (default), granted to team-a': post(
      newCheck('pages-default', { escalation: 'default' }),
      { other: 403 },
      'escalation',
    ),
    'escalation of team-b (team-b-oncall)': post(
      newCheck('pages-b', { escalation: 'team-b-oncall' }),
      { write: 403 },
      'escalation',
    ),
    'public check (publish: team-b and admins only)': post(
      newCheck('urgent', { name: 'URGENT: reset your password', public: true }),
      { write: 403 },
      'public',
    ),
    'public: true by PATCH of one’s own check': {
      method: 'PATCH',
      url: `/api/v1/checks/${a.checkId}`,
      payload: { public: true },
      expect: { ...UNAUTHENTICATED, read: 403, write: 403, other: 404, admin: 200 },
      field: 'public',
    },
    ...incidentRows('of the operators in lb', ops.lb, 404),
    ...incidentRows('of the operators in api (granted to team-a)', ops.api, 200),
    'incident of the operators: postmortem read': {
      method: 'GET',
      url: postmortem,
      expect: { ...UNAUTHENTICATED, read: 404, write: 404, other: 404, admin: 200 },
    },
    'incident of the operators: postmortem publish': {
      method: 'PUT',
      url: postmortem,
      payload: { markdown: '# Ours now' },
      expect: { ...UNAUTHENTICATED, read: 403, write: 404, other: 404, admin: 200 },
    },
    'incident of the operators: postmortem withdraw': {
      method: 'DELETE',
      url: postmortem,
      expect: { ...UNAUTHENTICATED, read: 403, write: 404, other: 404, admin: 204 },
    },
  };
}

/** Opens an incident of the operators' config check `checkId` in `component`, as the notifier would. */
async function openOperatorsIncident(
  ctx: WebContext,
  checkId: string,
  component: string,
  now: number,
): Promise<string> {
  const member: IncidentMember = {
    checkId,
    name: checkId,
    down: true,
    firstFailedRound: now - 60_000,
    lastFailedRound: now,
    vantagesFailing: ['alpha'],
    vantagesTotal: 3,
    error: 'connect_refused',
    message: 'connection refused to lb.example.com',
  };
  const { id } = await ctx.incidents.openOrJoin(
    {
      group: `component:${component}`,
      title: `${component}: outage`,
      impact: 'major',
      severity: 'major',
      component,
      escalation: 'default',
      startedAt: now - 60_000,
      member,
      openedMessage: `${checkId} is failing.`,
      joinedMessage: '',
    },
    now,
    0,
  );
  return id;
}

async function seedOperators(ctx: WebContext, now: number): Promise<OperatorIncidents> {
  const lbResolved = await openOperatorsIncident(ctx, 'ops-lb', 'lb', now - 2 * HOUR);
  await ctx.incidents.resolve(lbResolved, 'ops (root)', now - HOUR);
  await ctx.incidents.setPostmortem(lbResolved, { markdown: '# The load balancers', by: 'ops (root)' }, now);
  const lb = await openOperatorsIncident(ctx, 'ops-lb', 'lb', now);
  const api = await openOperatorsIncident(ctx, 'from-config', 'api', now);
  return { lb, api, lbResolved };
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
  let cross: Record<string, CrossRow>;
  let ownIncident: string;
  let ops: OperatorIncidents;
  let headers: Record<Caller, Record<string, string>>;
  let seeded: PrefixDump;
  let seededState: Record<string, string>;
  // Bookkeeping of any verified request, refused or not: rate-limit counters and a token's last use.
  const state = () => readPrefix(t.ctx, [`${t.ctx.keys.prefix}:rate:`, t.ctx.keys.tokensLastUsed]);
  const ownerA = 'team-a';

  beforeAll(async () => {
    t = await testWebApp(MATRIX_CONFIG);
    const fixtures = await seedOwned(t.ctx, ownerA);
    ops = await seedOperators(t.ctx, t.clock.now());
    ownIncident = fixtures.incidentId;
    cross = crossOwnerRows(fixtures, ops);
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

  it.each(CALLERS)('answers %s on the ping routes by the token in the URL alone', async (caller) => {
    await restorePrefix(t.ctx, seeded);
    const token = await t.ctx.heartbeats.rotate(`${ownerA}-backup`, t.clock.now());
    for (const url of [`/ping/${token}`, `/ping/${token}/start`, `/ping/${token}/fail`, `/ping/${token}/0`]) {
      const response = await t.app.inject({ method: 'POST', url, headers: headers[caller] });
      expect(response.statusCode, `${url} as ${caller}`).toBe(200);
    }
    const before = await readPrefix(t.ctx);
    const unknown = await t.app.inject({ method: 'GET', url: '/ping/hb_not-a-token', headers: headers[caller] });
    expect(unknown.statusCode).toBe(404);
    expect(await readPrefix(t.ctx)).toEqual(before);
  });

  it.each(CALLERS)('answers %s across owners: components, incidents, escalations, publishing', async (caller) => {
    const failures: string[] = [];
    for (const [name, row] of Object.entries(cross)) {
      await restorePrefix(t.ctx, seeded);
      const response = await t.app.inject({
        method: row.method,
        url: row.url,
        headers: headers[caller],
        ...(row.payload && { payload: row.payload }),
      });
      const want = row.expect[caller];
      const got = `${response.statusCode} ${response.body.slice(0, 300)}`;
      const ok = want === 200 ? response.statusCode >= 200 && response.statusCode < 300 : response.statusCode === want;
      if (!ok) failures.push(`${name} as ${caller}: expected ${want}, got ${got}`);
      else if (want === 403 && row.field !== undefined && SCOPE[caller] !== 'read') {
        const fields = response.json().error.issues.map((issue: { path: string }) => issue.path);
        if (!fields.includes(row.field))
          failures.push(`${name} as ${caller}: expected the 403 to name ${row.field}, got ${got}`);
      }
      if (ok && response.statusCode >= 400 && !isDeepStrictEqual(await state(), seededState)) {
        failures.push(`${name} as ${caller}: refused with ${response.statusCode} but changed Redis`);
      }
      if (ok && response.statusCode === 404) {
        // The very 404 of a missing incident: nothing about the operators' incident shows.
        for (const secret of ['ops-lb', 'lb.example.com', 'from-config', 'load balancers']) {
          if (response.body.toLowerCase().includes(secret))
            failures.push(`${name} as ${caller}: the 404 shows ${secret}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('counts its cells: routes × callers and cross-owner rows × callers', () => {
    const routes = webRoutes(t.ctx).length;
    const rows = Object.keys(cross).length;
    const counts = { routes, rows, callers: CALLERS.length, cells: (routes + rows) * CALLERS.length };
    console.info(
      `authorization matrix: ${routes} routes × ${CALLERS.length} callers = ${routes * CALLERS.length} cells; ` +
        `${rows} cross-owner rows × ${CALLERS.length} callers = ${rows * CALLERS.length} cells; ${counts.cells} in all`,
    );
    expect(rows).toBeGreaterThanOrEqual(20);
    expect(counts.cells).toBe((routes + rows) * 7);
  });

  it('lists to each owner only the operators’ incidents its grants share', async () => {
    await restorePrefix(t.ctx, seeded);
    const list = async (caller: Caller) => {
      const response = await t.app.inject({ url: '/api/v1/incidents?status=all', headers: headers[caller] });
      return (response.json().items as { id: string }[]).map((incident) => incident.id).sort();
    };
    expect(await list('write')).toEqual([ops.api, ownIncident].sort());
    expect(await list('read')).toEqual([ops.api, ownIncident].sort());
    expect(await list('other')).toEqual([]);
    expect(await list('admin')).toEqual([ops.api, ops.lb, ops.lbResolved, ownIncident].sort());
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
    expect(mine).toMatchObject({ total: 2, items: [{ id: `${ownerA}-backup` }, { id: `${ownerA}-web` }] });
  });
});
