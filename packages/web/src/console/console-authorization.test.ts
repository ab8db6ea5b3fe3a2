import { isDeepStrictEqual } from 'node:util';
import type { TokenScope } from '@vigil/core';
import fc from 'fast-check';
import Fastify, { type InjectOptions, type LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOTYPE_NAMES, stackLeak } from '../api/fuzz-signs.js';
import {
  consoleSignIn,
  dumpPrefix,
  type OwnedFixtures,
  type PrefixDump,
  readPrefix,
  restorePrefix,
  seedOwned,
  TEST_CONFIG,
  testWebApp,
} from '../testing.js';
import { registerConsole } from './console-routes.js';
import { SESSION_COOKIE } from './session/cookie.js';
import { SessionStore } from './session/session-store.js';

/*
 * The console's half of the authorization matrix (the API's is api/authorization.test.ts): every
 * route `registerConsole` registers × every caller, with the status each must get. A console route
 * added without a row here fails the first test.
 */

type App = Awaited<ReturnType<typeof testWebApp>>;
type Caller = 'none' | 'read' | 'write' | 'admin' | 'other' | 'nocsrf' | 'sso';
/**
 * `read`, `write`, `admin`: token sessions of owner A (team-a); `other`: a write session of team-b;
 * `nocsrf`: A's admin session, its POSTs without the CSRF token; `sso`: a person signed in through
 * the IdP (no API token) whose groups grant A with the write scope (active) and B with read.
 */
const CALLERS: readonly Caller[] = ['none', 'read', 'write', 'admin', 'other', 'nocsrf', 'sso'];
const SCOPE: Record<Exclude<Caller, 'none' | 'sso'>, { owner: string; scope: TokenScope }> = {
  read: { owner: 'team-a', scope: 'read' },
  write: { owner: 'team-a', scope: 'write' },
  admin: { owner: 'team-a', scope: 'admin' },
  other: { owner: 'team-b', scope: 'write' },
  nocsrf: { owner: 'team-a', scope: 'admin' },
};

/** An IdP that is never reached (nothing listens on port 9): the OIDC routes are registered and answer without it. */
const CONSOLE_CONFIG = {
  ...TEST_CONFIG,
  console: {
    oidc: {
      issuer: 'http://127.0.0.1:9/',
      clientId: 'vigil',
      roles: [{ group: 'ops', scopes: ['admin'] }],
    },
  },
};

interface Row {
  url: string;
  /** Form fields; `_csrf` is added for every caller with a session but `nocsrf`. */
  form?: Record<string, string>;
  expect: Record<Caller, number>;
}

const signedOut = (status: number) => ({ none: status });
/** A page: a visitor without a session is sent to sign in; every session sees it. */
const PAGE = { ...signedOut(303), read: 200, write: 200, admin: 200, other: 200, nocsrf: 200, sso: 200 };
/** A page of A's check or incident: another tenant gets the 404 of a missing one. */
const OWNED_PAGE = { ...PAGE, other: 404 };
/** An action on A's check or incident: the API's rules (write scope, then ownership), behind the session and its CSRF token. */
const OWNED_ACTION = { none: 403, read: 403, write: 303, admin: 303, other: 404, nocsrf: 403, sso: 303 };
/** An action on one's own session. */
const SESSION_ACTION = { none: 403, read: 303, write: 303, admin: 303, other: 303, nocsrf: 403, sso: 303 };
const HOUR = 3_600_000;

/** An admin's action: every other session is refused before anything is looked up. */
const ADMIN_ONLY = { none: 403, read: 403, write: 403, admin: 403, other: 403, nocsrf: 403, sso: 403 };
const EVERYONE = (status: number) =>
  Object.fromEntries(CALLERS.map((caller) => [caller, status])) as Record<Caller, number>;

function matrix(a: OwnedFixtures, signInToken: string, victimTokenId: string, now: number): Record<string, Row> {
  const check = `/console/checks/${a.checkId}`;
  const maintenance = `/console/maintenances/${a.maintenanceId}`;
  const window = { start: new Date(now + HOUR).toISOString(), end: new Date(now + 2 * HOUR).toISOString() };
  const incident = `/console/incidents/${a.incidentId}`;
  return {
    // Fingerprinted assets (one row for them all): public, immutable.
    'GET /console/assets/*': { url: '', expect: EVERYONE(200) },
    'GET /console/sign-in': { url: '/console/sign-in', expect: { ...EVERYONE(303), none: 200 } },
    // Anyone may sign in with a good token (no session yet, so no CSRF token: the Origin rule guards it).
    'POST /console/sign-in': { url: '/console/sign-in', form: { token: signInToken }, expect: EVERYONE(303) },
    'POST /console/sign-out': { url: '/console/sign-out', form: {}, expect: SESSION_ACTION },
    'POST /console/sign-out-everywhere': { url: '/console/sign-out-everywhere', form: {}, expect: SESSION_ACTION },
    // Only a person the IdP granted A may act as A; a token's session is its token's owner, no other.
    'POST /console/owner': {
      url: '/console/owner',
      form: { owner: 'team-a' },
      expect: { ...EVERYONE(403), sso: 303 },
    },
    // The IdP is unreachable: a page saying so, for everyone; the callback without its state is refused.
    'GET /console/auth/oidc': { url: '/console/auth/oidc', expect: EVERYONE(502) },
    'GET /console/auth/oidc/callback': { url: '/console/auth/oidc/callback?code=x&state=y', expect: EVERYONE(400) },
    'GET /console': { url: '/console', expect: PAGE },
    'GET /console/grid': { url: '/console/grid', expect: PAGE },
    'GET /console/incidents': { url: '/console/incidents', expect: PAGE },
    'GET /console/incidents/:id': { url: incident, expect: OWNED_PAGE },
    'POST /console/incidents/:id/ack': { url: `${incident}/ack`, form: {}, expect: OWNED_ACTION },
    'POST /console/incidents/:id/resolve': { url: `${incident}/resolve`, form: {}, expect: OWNED_ACTION },
    'POST /console/incidents/:id/updates': {
      url: `${incident}/updates`,
      form: { status: 'identified', message: 'The pool is exhausted.' },
      expect: OWNED_ACTION,
    },
    'POST /console/incidents/:id/status': {
      url: `${incident}/status`,
      form: { status: 'monitoring' },
      expect: OWNED_ACTION,
    },
    // The seeded incident is open: past scope and ownership, the 409 of a postmortem before resolution.
    'POST /console/incidents/:id/postmortem': {
      url: `${incident}/postmortem`,
      form: { markdown: '# What happened' },
      expect: { ...OWNED_ACTION, write: 409, admin: 409, sso: 409 },
    },
    // A preview changes nothing, yet takes the CSRF token and the write scope as its form does.
    'POST /console/incidents/:id/postmortem/preview': {
      url: `${incident}/postmortem/preview`,
      form: { markdown: '# What happened' },
      expect: { ...OWNED_ACTION, write: 200, admin: 200, sso: 200 },
    },
    'GET /console/maintenances': { url: '/console/maintenances', expect: PAGE },
    // The edit form is for those who may edit.
    'GET /console/maintenances/:id': { url: maintenance, expect: { ...OWNED_PAGE, read: 403 } },
    // Another owner cannot cover A's check: the API's 400 for a check that does not exist.
    'POST /console/maintenances': {
      url: '/console/maintenances',
      form: { id: 'drill', title: 'Failover drill', checks: a.checkId, ...window },
      expect: { ...OWNED_ACTION, other: 400 },
    },
    'POST /console/maintenances/:id': {
      url: maintenance,
      form: { title: 'Database upgrade, moved', checks: a.checkId, ...window },
      expect: OWNED_ACTION,
    },
    'POST /console/maintenances/:id/cancel': { url: `${maintenance}/cancel`, form: {}, expect: OWNED_ACTION },
    'GET /console/checks/:id': { url: check, expect: OWNED_PAGE },
    'GET /console/oncall': { url: '/console/oncall', expect: PAGE },
    // Tokens are for admins (as the API's create and list-all); a read or write session is refused whatever it owns.
    'GET /console/tokens': { url: '/console/tokens', expect: { ...ADMIN_ONLY, none: 303, admin: 200, nocsrf: 200 } },
    'POST /console/tokens': {
      url: '/console/tokens',
      form: { name: 'from-the-console', owner: 'team-c', scope: 'read' },
      expect: { ...ADMIN_ONLY, admin: 201 },
    },
    'POST /console/tokens/:id/revoke': {
      url: `/console/tokens/${victimTokenId}/revoke`,
      form: {},
      expect: { ...ADMIN_ONLY, admin: 303 },
    },
    'GET /console/checks/:id/latency': { url: `${check}/latency?range=24h`, expect: { ...OWNED_PAGE, none: 303 } },
    'POST /console/checks/:id/pause': { url: `${check}/pause`, form: {}, expect: OWNED_ACTION },
    'POST /console/checks/:id/resume': { url: `${check}/resume`, form: {}, expect: OWNED_ACTION },
    'POST /console/checks/:id/delete': { url: `${check}/delete`, form: {}, expect: OWNED_ACTION },
    // The edit form is for those who may edit; its POST is the API's PUT of an existing check.
    'GET /console/checks/:id/edit': { url: `${check}/edit`, expect: { ...OWNED_PAGE, read: 403 } },
    'POST /console/checks/:id/edit': {
      url: `${check}/edit`,
      form: { definition: 'name: Edited\ninterval: 5m\nhttp:\n  url: https://example.com/\n' },
      expect: OWNED_ACTION,
    },
  };
}

/** The console's routes as Fastify registers them (HEAD twins left out), assets folded into one key. */
async function consoleRoutes(ctx: App['ctx']): Promise<{ key: string; url: string }[]> {
  const app = Fastify();
  const found: { key: string; url: string }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      const key = route.url.startsWith('/console/assets/') ? 'GET /console/assets/*' : `${method} ${route.url}`;
      found.push({ key, url: route.url });
    }
  });
  registerConsole(app, ctx);
  await app.ready();
  await app.close();
  return found;
}

/**
 * A session of a person the IdP vouched for (what the OIDC callback starts), no API token: their
 * groups grant A with the write scope, where they act, and B with read.
 */
async function ssoSession(t: App): Promise<{ cookie: string; csrf: string }> {
  const grants = [
    { owner: 'team-a', scope: 'write' as const },
    { owner: 'team-b', scope: 'read' as const },
  ];
  const principal = { id: 'oidc:bo', owner: 'team-a', scope: 'write' as const, name: 'Bo', grants };
  const { id, session } = await new SessionStore(t.ctx).createSession(principal);
  return { cookie: `${SESSION_COOKIE}=${id}`, csrf: session.csrf };
}

// ---- the fuzz: api/fuzz.test.ts's hostile inputs over the console, with a live session and its CSRF token ----

const SPECIAL_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '',
  '_csrf',
  'token',
  'range',
  'q',
  'state',
  'component',
  'cursor',
  'limit',
];
// biome-ignore format: one hostile value per entry reads better packed than one per line
const SPECIAL_STRINGS = [
  '', ' ', '0', '-1', '1.5', '1e999', 'NaN', '24h', '7d', '1h', 'up', 'down', 'paused', 'api', '__proto__',
  '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', 'javascript:alert(1)', '\u0000', '\u202e', 'é🙂',
  '%', '%ZZ', '%E0%A4%A', '9'.repeat(400), 'x'.repeat(3_000), '[object Object]', '{"a":1}',
];
// biome-ignore format: as above
const JUNK_PARAMS = ['%', '%00', '%ZZ', '%E0%A4%A', '..', '.', 'a/b', '%2F', 'a'.repeat(2_001), '1'.repeat(13), '-1', 'UPPER', '0', '__proto__', 'constructor'];
// biome-ignore format: as above
const RAW_BODIES = [
  '', '=', '&', '&&=&', '_csrf', '_csrf=&_csrf=', '%', '%ZZ=1', 'a=%E0%A4%A', '__proto__[polluted]=1', '__proto__=x',
  'constructor[prototype][polluted]=1', '{"__proto__":{"polluted":true}}', '{"_csrf":1}', '\uFEFF', 'x'.repeat(20_000),
];
// biome-ignore format: as above
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-16', 'application/json',
  'text/plain', 'multipart/form-data; boundary=x', 'APPLICATION/X-WWW-FORM-URLENCODED', 'application/octet-stream',
];
const hostileString = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...SPECIAL_STRINGS));
const hostileKey = fc.oneof(fc.constantFrom(...SPECIAL_KEYS), fc.string({ maxLength: 8 }));
const pairs = fc.array(fc.tuple(hostileKey, hostileString), { maxLength: 5 });
const encode = (list: [string, string][]) =>
  list.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
const queryString = fc
  .tuple(pairs, fc.constantFrom('', '', '', '&', '=', '&%', '&a=%ZZ', '&range=1h&range=7d', '#x', '&&=&'))
  .map(([list, tail]) => encode(list) + tail);
const junkParam = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.stringMatching(/^[a-z0-9-]{1,80}$/),
  fc.constantFrom(...JUNK_PARAMS),
);

interface Fuzzed {
  caller: 'write' | 'admin' | 'other' | 'sso';
  param: string | undefined;
  query: string;
  /** A form: hostile pairs, with the session's CSRF token first unless `csrf` is false. */
  body: { pairs: [string, string][]; csrf: boolean } | { raw: string };
  contentType: string;
  headers: Record<string, string>;
  /** The session cookie as it is, or mangled around it. */
  cookie: (own: string) => string;
}

/** A session cookie repeated, emptied, broken or buried among others. */
const cookieJunk = fc.constantFrom(
  (own: string) => `${own}; ${own}`,
  (own: string) => `${own}; ${SESSION_COOKIE}=x`,
  (own: string) => `a=b; ${own}; c`,
  () => `${SESSION_COOKIE}=`,
  () => `${SESSION_COOKIE}=%ZZ`,
  () => `${SESSION_COOKIE}=${'A'.repeat(5_000)}`,
  () => `${SESSION_COOKIE}=__proto__`,
  () => '=; ;;',
);

/** The console's host and port, as a browser sends it (inject's `localhost:80` drops from an Origin URL's host). */
const HOST = 'localhost:3000';

/** Header values hold printable ASCII only (anything else never leaves a client). */
const headerText = hostileString.map((text) => text.replace(/[^\x20-\x7e]/g, ''));
const headerSets = fc.record(
  {
    'hx-request': fc.constantFrom('true', 'false', '', '1'),
    'if-none-match': fc.oneof(headerText, fc.constantFrom('*', 'W/"x"', '""')),
    // Mostly this console's own origin (HOST, the Host header every fuzzed request carries), so the requests get past the Origin rule to the handlers.
    origin: fc.oneof(
      { weight: 4, arbitrary: fc.constant(`http://${HOST}`) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('https://evil.example', 'null', '', '%', 'http://[::1', 'http://localhost'),
      },
    ),
    'x-csrf-token': headerText,
    accept: fc.constantFrom('text/html', 'application/json', '*/*', ''),
    'accept-language': headerText,
  },
  { requiredKeys: [] },
);

describe('console authorization matrix', () => {
  let t: App;
  let a: OwnedFixtures;
  let b: OwnedFixtures;
  let rows: Record<string, Row>;
  let routes: { key: string; url: string }[];
  let sessions: Record<Exclude<Caller, 'none'>, { cookie: string; csrf: string; auth?: { authorization: string } }>;
  let seeded: PrefixDump;
  let seededState: Record<string, string>;
  const state = () => readPrefix(t.ctx, [`${t.ctx.keys.prefix}:rate:`]);

  beforeAll(async () => {
    t = await testWebApp(CONSOLE_CONFIG);
    a = await seedOwned(t.ctx, 'team-a');
    b = await seedOwned(t.ctx, 'team-b');
    const signIn = async (caller: keyof typeof SCOPE) => {
      const { token, auth } = await t.token({ ...SCOPE[caller], name: caller });
      return { ...(await consoleSignIn(t.app, token)), auth };
    };
    sessions = {
      read: await signIn('read'),
      write: await signIn('write'),
      admin: await signIn('admin'),
      other: await signIn('other'),
      nocsrf: await signIn('nocsrf'),
      sso: await ssoSession(t),
    };
    const signInToken = (await t.token({ owner: 'team-a', scope: 'read', name: 'signing-in' })).token;
    const victim = await t.token({ owner: 'team-a', scope: 'read', name: 'victim' });
    rows = matrix(a, signInToken, victim.record.id, t.clock.now());
    routes = await consoleRoutes(t.ctx);
    seeded = await dumpPrefix(t.ctx);
    seededState = await state();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it('has a row for every registered console route, and none for a route that is gone', () => {
    const keys = [...new Set(routes.map((route) => route.key))];
    expect(keys.filter((key) => !(key in rows))).toEqual([]);
    expect(Object.keys(rows).filter((key) => !keys.includes(key))).toEqual([]);
  });

  function request(caller: Caller, method: string, row: Row): InjectOptions {
    const session = caller === 'none' ? undefined : sessions[caller];
    const headers: Record<string, string> = session ? { cookie: session.cookie } : {};
    if (!row.form) return { method: method as 'GET', url: row.url, headers };
    const fields = { ...row.form, ...(session && caller !== 'nocsrf' && { _csrf: session.csrf }) };
    return {
      method: 'POST',
      url: row.url,
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(fields).toString(),
    };
  }

  it.each(CALLERS)('answers %s as its session, scope and tenant allow, on every console route', async (caller) => {
    const failures: string[] = [];
    for (const route of routes) {
      const row = rows[route.key];
      if (!row) continue;
      const method = route.key.split(' ')[0] ?? 'GET';
      await restorePrefix(t.ctx, seeded);
      const url = route.key === 'GET /console/assets/*' ? route.url : row.url;
      const response = await t.app.inject(request(caller, method, { ...row, url }));
      const want = row.expect[caller];
      const got = `${response.statusCode} ${response.body.slice(0, 200)}`;
      if (response.statusCode !== want) failures.push(`${route.key} as ${caller}: expected ${want}, got ${got}`);
      else if (
        (response.statusCode >= 400 || (caller === 'none' && method === 'GET' && want === 303)) &&
        !isDeepStrictEqual(await state(), seededState)
      ) {
        failures.push(`${route.key} as ${caller}: refused with ${response.statusCode} but changed Redis`);
      }
      if (caller === 'other') {
        // Nothing of tenant A reaches tenant B, in a page, a 404 or JSON, but the id the request itself named.
        const body = response.body.replaceAll(a.checkId, 'ID').replaceAll(a.maintenanceId, 'ID');
        for (const secret of ['team-a', a.heartbeatId]) {
          if (body.includes(secret)) failures.push(`${route.key} as other: the answer shows ${secret}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  /** Each console route that reads or acts on one resource, and the API route it must agree with. */
  const API_TWINS: Record<
    string,
    (a: OwnedFixtures) => { method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: Record<string, unknown> }
  > = {
    'POST /console/incidents/:id/updates': (a) => ({
      method: 'POST',
      url: `/api/v1/incidents/${a.incidentId}/updates`,
      payload: { status: 'identified', message: 'The pool is exhausted.' },
    }),
    'POST /console/maintenances/:id/cancel': (a) => ({
      method: 'DELETE',
      url: `/api/v1/maintenances/${a.maintenanceId}`,
    }),
    'POST /console/tokens': () => ({
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { owner: 'team-c', scope: 'read' },
    }),
    'GET /console/incidents/:id': (a) => ({ method: 'GET', url: `/api/v1/incidents/${a.incidentId}` }),
    'POST /console/incidents/:id/ack': (a) => ({ method: 'POST', url: `/api/v1/incidents/${a.incidentId}/ack` }),
    'POST /console/incidents/:id/resolve': (a) => ({
      method: 'POST',
      url: `/api/v1/incidents/${a.incidentId}/resolve`,
    }),
    'GET /console/checks/:id': (a) => ({ method: 'GET', url: `/api/v1/checks/${a.checkId}` }),
    'GET /console/checks/:id/latency': (a) => ({ method: 'GET', url: `/api/v1/checks/${a.checkId}/latency?range=7d` }),
    'POST /console/checks/:id/pause': (a) => ({ method: 'POST', url: `/api/v1/checks/${a.checkId}/pause` }),
    'POST /console/checks/:id/resume': (a) => ({ method: 'POST', url: `/api/v1/checks/${a.checkId}/resume` }),
    'POST /console/checks/:id/delete': (a) => ({ method: 'DELETE', url: `/api/v1/checks/${a.checkId}` }),
  };

  it.each(['read', 'write', 'admin', 'other'] as const)(
    'answers %s on every console page and action of one resource as the API answers its token',
    async (caller) => {
      const failures: string[] = [];
      for (const [key, twin] of Object.entries(API_TWINS)) {
        const row = rows[key];
        if (!row) {
          failures.push(`${key}: no matrix row`);
          continue;
        }
        await restorePrefix(t.ctx, seeded);
        const method = key.split(' ')[0] ?? 'GET';
        const console_ = await t.app.inject(request(caller, method, row));
        await restorePrefix(t.ctx, seeded);
        const api = twin(a);
        const answer = await t.app.inject({
          method: api.method,
          url: api.url,
          headers: sessions[caller].auth ?? {},
          ...(api.method === 'POST' && { payload: api.payload ?? {} }),
        });
        // The same refusal, or both let it through (the console's success is its page or a 303 back to one).
        const ok = (status: number) => status < 400;
        const agree = ok(answer.statusCode) ? ok(console_.statusCode) : console_.statusCode === answer.statusCode;
        if (!agree) failures.push(`${key} as ${caller}: console ${console_.statusCode}, API ${answer.statusCode}`);
      }
      expect(failures).toEqual([]);
    },
  );

  it('counts its cells: console routes × callers', () => {
    const keys = new Set(routes.map((route) => route.key));
    console.info(`console authorization matrix: ${keys.size} routes × ${CALLERS.length} callers`);
    expect(keys.size).toBeGreaterThanOrEqual(30);
  });

  it('answers another tenant’s check and incident with the very 404 of missing ones', async () => {
    await restorePrefix(t.ctx, seeded);
    const { cookie, csrf } = sessions.other;
    const pairs = [
      [`/console/checks/${a.checkId}`, '/console/checks/team-a-wex', a.checkId, 'team-a-wex'],
      [`/console/checks/${a.checkId}/latency`, '/console/checks/team-a-wex/latency', a.checkId, 'team-a-wex'],
      [`/console/incidents/${a.incidentId}`, '/console/incidents/999999', a.incidentId, '999999'],
    ] as const;
    // The page's message, with the id the request named put aside.
    const message = (body: string, id: string) =>
      (/<p class="error"[^>]*>([^<]*)<\/p>/.exec(body)?.[1] ?? body).replace(new RegExp(`\\b${id}\\b`, 'g'), 'ID');
    for (const [hidden, missing, hiddenId, missingId] of pairs) {
      const seen = await t.app.inject({ url: hidden, headers: { cookie } });
      const none = await t.app.inject({ url: missing, headers: { cookie } });
      expect(seen.statusCode, hidden).toBe(404);
      expect(message(seen.body, hiddenId), hidden).toBe(message(none.body, missingId));
    }
    for (const action of ['pause', 'resume', 'delete']) {
      const form = {
        payload: `_csrf=${csrf}`,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      };
      const seen = await t.app.inject({ method: 'POST', url: `/console/checks/${a.checkId}/${action}`, ...form });
      const none = await t.app.inject({ method: 'POST', url: `/console/checks/team-a-wex/${action}`, ...form });
      expect(seen.statusCode, action).toBe(404);
      expect(seen.body.replaceAll(a.checkId, 'ID'), action).toBe(none.body.replaceAll('team-a-wex', 'ID'));
    }
  });

  function fuzzed(route: { key: string; url: string }): fc.Arbitrary<Fuzzed> {
    const row = rows[route.key];
    const valid = route.key === 'GET /console/assets/*' ? route.url : (row?.url.split('?')[0] ?? route.url);
    const hasParam = route.url.includes(':');
    // The valid id, taken from the row's URL where the pattern has its `:id`.
    const validParam = hasParam
      ? (valid.split('/')[route.url.split('/').findIndex((part) => part.startsWith(':'))] ?? '')
      : undefined;
    return fc.record({
      caller: fc.constantFrom('admin', 'admin', 'write', 'other', 'sso') as fc.Arbitrary<Fuzzed['caller']>,
      param: hasParam
        ? fc.oneof({ weight: 3, arbitrary: fc.constant(validParam) }, { weight: 2, arbitrary: junkParam })
        : fc.constant(undefined),
      query: fc.oneof(
        { weight: 1, arbitrary: fc.constant(row?.url.split('?')[1] ?? '') },
        { weight: 3, arbitrary: queryString },
      ),
      body: fc.oneof(
        { weight: 4, arbitrary: fc.record({ pairs, csrf: fc.constantFrom(true, true, true, true, false) }) },
        {
          weight: 1,
          arbitrary: fc.record({ raw: fc.oneof(fc.constantFrom(...RAW_BODIES), fc.string({ maxLength: 60 })) }),
        },
      ),
      contentType: fc.oneof(
        { weight: 4, arbitrary: fc.constant(CONTENT_TYPES[0] as string) },
        { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      ),
      headers: headerSets,
      cookie: fc.oneof(
        { weight: 6, arbitrary: fc.constant((own: string) => own) },
        { weight: 1, arbitrary: cookieJunk },
      ),
    });
  }

  let known: Record<string, string> | undefined;

  async function holdsFor(route: { key: string; url: string }, sent: Fuzzed): Promise<void> {
    known ??= await state();
    const method = route.key.split(' ')[0] as 'GET' | 'POST';
    const pattern = route.key === 'GET /console/assets/*' ? route.url : route.url;
    const path = sent.param === undefined ? pattern : pattern.replace(/:\w+/, sent.param);
    const session = sessions[sent.caller];
    let payload: string | undefined;
    if (method === 'POST') {
      payload =
        'raw' in sent.body
          ? sent.body.raw
          : encode([...(sent.body.csrf ? [['_csrf', session.csrf] as [string, string]] : []), ...sent.body.pairs]);
    }
    const response: LightMyRequestResponse = await t.app.inject({
      method,
      url: sent.query ? `${path}?${sent.query}` : path,
      headers: {
        ...sent.headers,
        host: HOST,
        cookie: sent.cookie(session.cookie),
        ...(method === 'POST' && { 'content-type': sent.contentType }),
      },
      ...(payload !== undefined && { payload }),
    });
    const status = response.statusCode;
    const said = `${method} ${path}?${sent.query} as ${sent.caller} → ${status} ${response.body.slice(0, 300)}`;
    // The IdP of this config is unreachable on purpose: its start page says so with a 502.
    if (!(route.key === 'GET /console/auth/oidc' && status === 502)) expect(status, said).toBeLessThan(500);
    expect(
      stackLeak(response.body, `${path}?${sent.query} ${payload ?? ''} ${JSON.stringify(sent.headers)}`),
      said,
    ).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort(), 'Object.prototype was polluted').toEqual(
      PROTOTYPE_NAMES,
    );
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    if (status < 400) {
      await restorePrefix(t.ctx, seeded);
      known = undefined;
      return;
    }
    // A refusal says what was wrong: a console page's error line (`field: why`, `no check x`), or the API's JSON
    // error for a URL refused before any route (malformed, too long, no such path).
    // (htmx's poll without a session gets a bodiless 401 telling it where to sign in.)
    const htmxToSignIn = status === 401 && response.headers['hx-redirect'] === '/console/sign-in';
    if (!route.key.startsWith('GET /console/auth/oidc') && !htmxToSignIn) {
      if (String(response.headers['content-type']).startsWith('application/json')) {
        expect(response.json().error?.issues?.length, said).toBeGreaterThan(0);
      } else {
        const line = /<p [^>]*class="error"[^>]*>([^<]*)<\/p>/.exec(response.body)?.[1] ?? '';
        expect(line.trim(), said).not.toBe('');
      }
    }
    const after = await state();
    const changed = Object.keys({ ...known, ...after }).filter((key) => known?.[key] !== after[key]);
    expect(changed, `a refused request changed Redis: ${said}`).toEqual([]);
  }

  it('fuzzes every console route: no 5xx, no stack trace, no prototype pollution, refusals change nothing', async () => {
    await restorePrefix(t.ctx, seeded);
    known = undefined;
    const seen = new Set<string>();
    for (const route of routes) {
      if (seen.has(route.key)) continue;
      seen.add(route.key);
      const runs = route.key.startsWith('POST') ? 250 : 120;
      await fc.assert(
        fc.asyncProperty(fuzzed(route), (sent) => holdsFor(route, sent)),
        { numRuns: runs },
      );
    }
    expect(seen.size).toBe(new Set(routes.map((route) => route.key)).size);
    // Some 6,000 requests: on a machine shared with other work (load 12 on 2 cores: ~110 s), far more than the default 30 s.
  }, 300_000);

  it('says why a postmortem posted to an open incident is refused, though its form is not on the page', async () => {
    await restorePrefix(t.ctx, seeded);
    const { cookie, csrf } = sessions.write;
    const post = (path: string, fields: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: `/console/incidents/${a.incidentId}/${path}`,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
      });
    for (const [path, fields, status] of [
      ['postmortem', {}, 400],
      ['postmortem/preview', {}, 400],
      ['postmortem', { markdown: '# What happened' }, 409],
    ] as const) {
      const response = await post(path, fields);
      expect(response.statusCode, path).toBe(status);
      expect(response.body, path).toMatch(/<p class="error" role="alert" id="postmortem-error">\S[^<]*<\/p>/);
    }
    await restorePrefix(t.ctx, seeded);
  });

  it('shows a read session no action buttons, and a write session its own', async () => {
    await restorePrefix(t.ctx, seeded);
    for (const url of [`/console/checks/${a.checkId}`, `/console/incidents/${a.incidentId}`]) {
      const read = await t.app.inject({ url, headers: { cookie: sessions.read.cookie } });
      expect(read.body, url).not.toMatch(/action="[^"]*\/(?:pause|resume|delete|ack|resolve)"/);
      const write = await t.app.inject({ url, headers: { cookie: sessions.write.cookie } });
      expect(write.body, url).toMatch(/action="[^"]*\/(?:pause|ack)"/);
    }
  });

  it('shows a person granted A and B only the active owner’s, with its scope, and refuses an owner not granted', async () => {
    await restorePrefix(t.ctx, seeded);
    const { cookie, csrf } = sessions.sso;
    const page = (url: string) => t.app.inject({ url, headers: { cookie } });
    const post = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams(fields).toString(),
      });
    /** What the person sees and may do as the active owner. */
    const sees = async () => {
      const overview = (await page('/console')).body;
      return {
        header: /<div class="who"><span>([^<]*)<\/span>/.exec(overview)?.[1],
        grid: [a.checkId, b.checkId].filter((id) => overview.includes(`id="check-${id}"`)),
        checkA: (await page(`/console/checks/${a.checkId}`)).statusCode,
        checkB: (await page(`/console/checks/${b.checkId}`)).statusCode,
        incidentB: (await page(`/console/incidents/${b.incidentId}`)).statusCode,
      };
    };

    // Acting as A (write): A's check and no sign of B's.
    expect(await sees()).toMatchObject({
      header: 'Bo · team-a · write',
      grid: [a.checkId],
      checkA: 200,
      checkB: 404,
      incidentB: 404,
    });
    expect((await post(`/console/checks/${b.checkId}/pause`, { _csrf: csrf })).statusCode).toBe(404);
    const toB = await post('/console/owner', { _csrf: csrf, owner: 'team-b' });
    expect(toB.statusCode, toB.body).toBe(303);

    // Acting as B, with B's read scope: B's check, none of A's, and no action on B's.
    expect(await sees()).toMatchObject({
      header: 'Bo · team-b · read',
      grid: [b.checkId],
      checkA: 404,
      checkB: 200,
      incidentB: 200,
    });
    expect((await post(`/console/checks/${b.checkId}/pause`, { _csrf: csrf })).statusCode).toBe(403);
    // The API's order: the scope first (read may not pause), then ownership.
    expect((await post(`/console/checks/${a.checkId}/pause`, { _csrf: csrf })).statusCode).toBe(403);
    expect((await page(`/console/checks/${b.checkId}`)).body).not.toMatch(/action="[^"]*\/pause"/);

    // Hostile switches: an owner not granted, the person's own id, no CSRF token, another site. Nothing changes.
    const before = await state();
    const hostile: [Record<string, string>, Record<string, string>, number][] = [
      [{ _csrf: csrf, owner: 'team-c' }, {}, 403],
      [{ _csrf: csrf, owner: 'oidc:bo' }, {}, 403],
      [{ _csrf: csrf, owner: 'team-a\u0000' }, {}, 403],
      [{ owner: 'team-a' }, {}, 403],
      [{ _csrf: csrf, owner: 'team-a' }, { origin: 'https://evil.example' }, 403],
      [{ _csrf: csrf }, {}, 400],
    ];
    for (const [fields, headers, status] of hostile) {
      const refused = await post('/console/owner', fields, headers);
      expect(refused.statusCode, JSON.stringify(fields)).toBe(status);
      expect(refused.body).toMatch(/<p class="error" role="alert">(?:owner|_csrf|origin): /);
    }
    expect(await state()).toEqual(before);
    expect(await sees()).toMatchObject({ header: 'Bo · team-b · read', grid: [b.checkId] });

    // Back to A: A's write scope again.
    expect((await post('/console/owner', { _csrf: csrf, owner: 'team-a' })).statusCode).toBe(303);
    expect(await sees()).toMatchObject({ header: 'Bo · team-a · write', grid: [a.checkId], checkB: 404 });
    expect((await post(`/console/checks/${a.checkId}/pause`, { _csrf: csrf })).statusCode).toBe(303);
    await restorePrefix(t.ctx, seeded);
  });
});
