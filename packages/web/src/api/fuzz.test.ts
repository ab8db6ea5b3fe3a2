import { pushoverCallbackSignature } from '@vigil/core';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { webRoutes } from '../app.js';
import { FUZZ_INBOUND_CHANNELS, inboundRequests } from '../integrations/fuzz-inbound.js';
import { dumpPrefix, readPrefix, restorePrefix, seedOwned, TEST_CONFIG, testWebApp } from '../testing.js';
import { PROTOTYPE_NAMES, stackLeak } from './fuzz-signs.js';
import type { Route } from './route.js';

/*
 * Every route gets thousands of hostile requests in total. Whatever arrives: no 5xx, an error is a
 * JSON body naming at least one field, nothing in the answer looks like a stack trace, and a
 * refused request leaves Redis exactly as it was. A request that succeeds is undone before the next.
 */

/** The test config plus a schedule, so on-call lookups at fuzzed times have rotations to walk. */
const FUZZ_CONFIG = {
  ...TEST_CONFIG,
  channels: FUZZ_INBOUND_CHANNELS,
  people: [...TEST_CONFIG.people, { id: 'bo', name: 'Bo', email: 'bo@example.com' }],
  schedules: [
    {
      id: 'primary',
      timezone: 'Europe/Berlin',
      layers: [
        { rotation: { every: '1w', people: ['ana', 'bo'] } },
        { rotation: { every: '12h', people: ['bo'] }, restrict: { days: ['sat'], hours: '09:00-18:00' } },
      ],
    },
  ],
};

const t = await testWebApp(FUZZ_CONFIG);
const a = await seedOwned(t.ctx, 'team-a');
// Postmortems attach to resolved incidents only: another owner's incident, resolved, with one to read.
const resolved = await seedOwned(t.ctx, 'team-p');
await t.ctx.incidents.resolve(resolved.incidentId, 'ana', t.clock.now());
await t.ctx.incidents.setPostmortem(resolved.incidentId, { markdown: '# Seeded', by: 'ana' }, t.clock.now());
const victim = await t.token({ owner: 'team-a', scope: 'read', name: 'victim' });
const UNLIMITED = { max: 1_000_000, per: '1m' };
const CALLERS = {
  admin: (await t.token({ owner: 'ops', scope: 'admin', rateLimit: UNLIMITED })).auth,
  write: (await t.token({ owner: 'team-a', scope: 'write', rateLimit: UNLIMITED })).auth,
};
const seeded = await dumpPrefix(t.ctx);
const routes = webRoutes(t.ctx);
afterAll(async () => {
  await t.cleanup();
});

const HOUR = 3_600_000;
const now = t.clock.now();
const CHECK = {
  name: 'Fuzzed',
  component: 'api',
  interval: '1m',
  timeout: '10s',
  vantages: ['alpha', 'beta'],
  http: { url: 'https://example.com/health', headers: { accept: 'application/json' }, expect: { status: ['200-299'] } },
  tags: ['fuzz'],
  severity: 'minor',
  confirmations: 2,
};
const { http: _http, ...COMMON } = CHECK;
const DNS_CHECK = {
  ...COMMON,
  dns: {
    name: 'example.com',
    type: 'MX',
    server: '9.9.9.9:53',
    expect: { answers: { contains: ['10 mx.example.com'] }, minTtl: 60 },
  },
};
const WINDOW = { start: new Date(now + HOUR).toISOString(), end: new Date(now + 2 * HOUR).toISOString() };

/** A body each route accepts from an admin: the seed the mutations start from. */
const VALID_BODIES: Record<string, Record<string, unknown>> = {
  'POST /api/v1/checks': { id: 'fuzzed', ...CHECK },
  // The other kinds' fields get fuzzed through replace: a DNS check here.
  'PUT /api/v1/checks/:id': DNS_CHECK,
  'PATCH /api/v1/checks/:id': { interval: '2m', tags: ['patched'], http: { expect: { status: ['200'] } } },
  'POST /api/v1/incidents/:id/ack': {},
  'POST /integrations/pushover/callback': { receipt: 'rLqVuqTRh62UzxtmqiaLzQmVcPgiCy', acknowledged: '1' },
  'POST /api/v1/incidents/:id/updates': { status: 'identified', message: 'The pool is exhausted.' },
  'PATCH /api/v1/incidents/:id': { status: 'monitoring', message: 'Watching.' },
  'POST /api/v1/incidents/:id/resolve': { message: 'Fixed.' },
  'PUT /api/v1/incidents/:id/postmortem': {
    markdown: '# What happened\n\nA bad deploy, [rolled back](https://x.example/).',
  },
  'POST /api/v1/maintenances': { id: 'drill', title: 'Drill', description: 'Failover', checks: [a.checkId], ...WINDOW },
  'PUT /api/v1/maintenances/:id': {
    title: 'Weekly',
    checks: [a.checkId],
    components: ['api'],
    start: WINDOW.start,
    recurring: { every: '1w', duration: '1h', timezone: 'Europe/Berlin' },
  },
  'POST /api/v1/tokens': {
    name: 'fuzzed',
    owner: 'team-z',
    scope: 'read',
    quota: { checks: 1, minInterval: '1m', vantages: 1 },
    rateLimit: { max: 10, per: '1m' },
  },
  'PATCH /api/v1/tokens/:id': { name: 'renamed', quota: { checks: 5 }, rateLimit: { max: 10, per: '1m' } },
};

/** A query each route that requires one accepts: the signed reference of a Pushover callback URL. */
const VALID_QUERIES: Record<string, string> = {
  'POST /integrations/pushover/callback': new URLSearchParams({
    incident: a.incidentId,
    episode: '1',
    by: 'Ana',
    sig: pushoverCallbackSignature('test-secret-0123456789abcdef', { incidentId: a.incidentId, episode: 1, by: 'Ana' }),
  }).toString(),
};

/** The id of a seeded resource for each parameterised path, so handlers run past their 404. */
const VALID_PARAMS: [prefix: string, value: string][] = [
  ['/api/v1/incidents/:id/postmortem', resolved.incidentId],
  // A heartbeat check's token and pings: the seeded HTTP check would stop at the 409 of its kind.
  ['/api/v1/checks/:id/token', a.heartbeatId],
  ['/api/v1/checks/:id/pings', a.heartbeatId],
  ['/api/v1/checks/', a.checkId],
  ['/api/v1/incidents/', a.incidentId],
  ['/api/v1/maintenances/', a.maintenanceId],
  ['/api/v1/tokens/', victim.record.id],
  ['/ack/', a.ackToken],
];

const RUNS = { body: 400, query: 250, params: 150, bare: 40 };

// ---- what is sent -------------------------------------------------------------------------------

const SPECIAL_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', 'id'];
// biome-ignore format: one hostile value per entry reads better packed than one per line
const SPECIAL_STRINGS = [
  '', ' ', '0s', '-1s', '1h30m', '99999999999999999999999h', `${'9'.repeat(400)}ms`, '2026-02-30T00:00:00Z',
  '0001-01-01T00:00:00Z', 'https://user:pw@example.com/', 'http://127.0.0.1/', 'http://[::1]:8080/',
  'http://169.254.169.254/latest/meta-data', 'ftp://example.com/', 'javascript:alert(1)', '<script>alert(1)</script>',
  '$' + '{PORT}', '\u0000', '\u202e', 'é🙂', '-a', 'a-', 'x'.repeat(64), 'NaN', '1e999', '__proto__',
];
// biome-ignore format: as above
const RAW_BODIES = [
  '', ' ', '{', '[', '{"a":', '{"a":1}}', "{'a':1}", '{"a":1,}', 'null', 'undefined', 'NaN', '"text"', '-0', '1e999',
  '\uFEFF{}', '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}',
  '{"a":{"__proto__":{"polluted":true}}}', '{"http":{"headers":{"__proto__":{"polluted":"yes"}}}}',
];
const HUGE_BODY = JSON.stringify({ name: 'x'.repeat(300_000) });
const HUGE_FIELD = 'y'.repeat(200_000);

function nested(depth: number, asArray: boolean): string {
  return asArray ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const deepText = fc.tuple(fc.integer({ min: 20, max: 20_000 }), fc.boolean()).map(([d, arr]) => nested(d, arr));

/** Values that break types, bounds, formats and parsers. */
const wild: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -1e308, [], {}, [null], { '': '' }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(...SPECIAL_STRINGS),
  fc.integer({ min: 33, max: 200 }).map((depth) => JSON.parse(nested(depth, false)) as unknown),
  fc.constant(HUGE_FIELD),
);

type Path = (string | number)[];

function pathsOf(value: unknown, at: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [at];
  const children = Object.entries(value).flatMap(([key, child]) =>
    pathsOf(child, [...at, Array.isArray(value) ? Number(key) : key]),
  );
  return [at, ...children];
}

interface Mutation {
  path: Path;
  action: 'delete' | 'replace' | 'add';
  key: string;
  value: unknown;
}

function setOwn(target: object, key: string | number, value: unknown): void {
  // defineProperty, so `__proto__` becomes an own key that JSON.stringify sends.
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
}

/** Applies one mutation at a path of a copy; a path an earlier mutation removed is left alone. */
function mutate(body: unknown, { path, action, key, value: shared }: Mutation): unknown {
  // Constants such as `[]` are one object across runs: mutate a copy, never them.
  const value = structuredClone(shared);
  if (path.length === 0) {
    if (action === 'add' && body !== null && typeof body === 'object' && !Array.isArray(body)) {
      setOwn(body, key, value);
      return body;
    }
    return action === 'delete' ? undefined : value;
  }
  let parent: unknown = body;
  for (const step of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return body;
    parent = (parent as Record<string | number, unknown>)[step];
  }
  const last = path.at(-1) as string | number;
  if (parent === null || typeof parent !== 'object') return body;
  const holder = parent as Record<string | number, unknown>;
  if (action === 'delete') {
    if (Array.isArray(holder) && typeof last === 'number') holder.splice(last, 1);
    else delete holder[last];
  } else if (action === 'add' && holder[last] !== null && typeof holder[last] === 'object') {
    setOwn(holder[last] as object, Array.isArray(holder[last]) ? (holder[last] as unknown[]).length : key, value);
  } else {
    setOwn(holder, last, value);
  }
  return body;
}

function mutations(valid: Record<string, unknown>): fc.Arbitrary<string | undefined> {
  const mutation = fc.record({
    path: fc.constantFrom(...pathsOf(valid)),
    action: fc.constantFrom('delete', 'replace', 'add') as fc.Arbitrary<Mutation['action']>,
    key: fc.oneof(fc.constantFrom(...SPECIAL_KEYS), fc.string({ maxLength: 12 })),
    value: wild,
  });
  return fc.array(mutation, { minLength: 1, maxLength: 3 }).map((list) => {
    const body = list.reduce<unknown>((current, m) => mutate(current, m), structuredClone(valid));
    return body === undefined ? undefined : JSON.stringify(body);
  });
}

function bodies(valid: Record<string, unknown> | undefined): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 5, arbitrary: valid ? mutations(valid) : fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 })) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES) },
    { weight: 1, arbitrary: deepText },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constant(HUGE_BODY),
        deepText.map((deep) => JSON.stringify({ ...valid, http: '@' }).replace('"@"', deep)),
        fc.constant(undefined),
      ),
    },
  );
}

// biome-ignore format: packed lists of hostile values
const CONTENT_TYPES = [
  'application/json; charset=utf-8', 'application/json; charset=utf-16', 'text/plain', 'APPLICATION/JSON',
  'application/x-www-form-urlencoded', 'application/merge-patch+json', 'multipart/form-data; boundary=x',
];
// biome-ignore format: as above
const JUNK_PARAMS = ['%', '%00', '%ZZ', '%E0%A4%A', '..', '.', 'a/b', '%2F', 'a'.repeat(2_001), '1'.repeat(13), '-1', 'UPPER'];
// biome-ignore format: as above
const QUERY_VALUES = [
  '', '0', '-1', '1', '1.5', '1e3', '200', '500', '501', '100001', 'NaN', 'Infinity', 'true', 'open', 'all', 'resolved',
  'up', 'paused', '2026-11-25T09:00:00Z', '9999-12-31T23:59:59Z', '0001-01-01T00:00Z', '-271821-04-20T00:00:00Z',
  '+275760-09-13T00:00:00Z', '9'.repeat(400), 'x'.repeat(300),
];

const contentType = fc.oneof(
  { weight: 4, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
);
const junkParam = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
  fc.stringMatching(/^[a-z0-9-]{1,80}$/),
  fc.constantFrom(...JUNK_PARAMS),
);
const queryValue = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...QUERY_VALUES));

function queries(keys: string[]): fc.Arbitrary<string> {
  const key = fc.oneof(
    { weight: 4, arbitrary: keys.length > 0 ? fc.constantFrom(...keys) : fc.string({ maxLength: 8 }) },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...SPECIAL_KEYS), fc.string({ maxLength: 8 })) },
  );
  const pairs = fc.array(fc.tuple(key, queryValue), { maxLength: 5 });
  const tail = fc.constantFrom('', '', '', '&', '=', '&%', '&a=%ZZ', '&limit', '&limit=1&limit=2', '#x', '&&=&');
  return fc
    .tuple(pairs, tail)
    .map(([list, end]) => list.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&') + end);
}

// ---- what must hold -----------------------------------------------------------------------------

const errorBody = z.strictObject({
  error: z.strictObject({
    code: z.string().regex(/^[A-Z_]+$/),
    message: z.string().min(1),
    issues: z
      .array(
        z.strictObject({
          path: z.string().min(1),
          message: z.string().min(1),
          received: z.string().optional(),
          in: z.enum(['body', 'query', 'params', 'headers']).optional(),
        }),
      )
      .min(1),
  }),
});

// Bookkeeping of any verified request, refused or not: rate-limit counters and a token's last use.
const snapshot = () => readPrefix(t.ctx, [`${t.ctx.keys.prefix}:rate:`, t.ctx.keys.tokensLastUsed]);

interface Sent {
  caller: keyof typeof CALLERS;
  param: string | undefined;
  query: string;
  body: string | undefined;
  contentType: string;
}

let known: Record<string, string> | undefined;

async function send(definition: Route, sent: Sent): Promise<LightMyRequestResponse> {
  const path = sent.param === undefined ? definition.url : definition.url.replace(/:\w+/, sent.param);
  const options: InjectOptions = {
    method: definition.method,
    url: sent.query ? `${path}?${sent.query}` : path,
    headers: { ...CALLERS[sent.caller], ...(definition.body && { 'content-type': sent.contentType }) },
    ...(sent.body !== undefined && { payload: sent.body }),
  };
  return t.app.inject(options);
}

async function holds(definition: Route, sent: Sent): Promise<void> {
  known ??= await snapshot();
  const response = await send(definition, sent);
  const status = response.statusCode;
  const said = `${definition.method} ${definition.url} as ${sent.caller} → ${status} ${response.body.slice(0, 400)}`;
  expect(status, said).toBeLessThan(500);
  expect(stackLeak(response.body, `${sent.param ?? ''}?${sent.query} ${sent.body ?? ''}`), said).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype).sort(), 'Object.prototype was polluted').toEqual(PROTOTYPE_NAMES);
  expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  if (status < 400) {
    await restorePrefix(t.ctx, seeded);
    known = undefined;
    return;
  }
  const htmlPage = definition.url === '/ack/:token' && status === 410;
  if (!htmlPage) {
    expect(response.headers['content-type'], said).toMatch(/^application\/json/);
    const parsed = errorBody.safeParse(response.json());
    expect(parsed.success ? [] : parsed.error.issues, said).toEqual([]);
  }
  const after = await snapshot();
  const changed = Object.keys({ ...known, ...after }).filter((key) => known?.[key] !== after[key]);
  expect(changed, `a refused request changed Redis: ${said}`).toEqual([]);
}

function validParam(url: string): string {
  const found = VALID_PARAMS.find(([prefix]) => url.startsWith(prefix));
  if (!found) throw new Error(`no seeded resource for ${url}; add one to VALID_PARAMS`);
  return found[1];
}

function queryKeys(definition: Route): string[] {
  if (!definition.query) return [];
  const json = z.toJSONSchema(definition.query, { io: 'input', unrepresentable: 'any' }) as { properties?: object };
  return Object.keys(json.properties ?? {});
}

function requests(definition: Route): fc.Arbitrary<Sent> {
  const key = `${definition.method} ${definition.url}`;
  const hasParam = definition.url.includes(':');
  return fc.record({
    caller: fc.constantFrom('admin', 'admin', 'write') as fc.Arbitrary<Sent['caller']>,
    param: hasParam
      ? fc.oneof({ weight: 3, arbitrary: fc.constant(validParam(definition.url)) }, { weight: 2, arbitrary: junkParam })
      : fc.constant(undefined),
    query: definition.query
      ? fc.oneof(
          { weight: 1, arbitrary: fc.constant(VALID_QUERIES[key] ?? '') },
          { weight: 4, arbitrary: queries(queryKeys(definition)) },
        )
      : fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: queries([]) }),
    body: definition.body ? bodies(VALID_BODIES[key]) : fc.constant(undefined),
    contentType,
  });
}

function runsFor(definition: Route): number {
  if (definition.body) return RUNS.body;
  if (definition.query) return RUNS.query;
  return definition.url.includes(':') ? RUNS.params : RUNS.bare;
}

describe('fuzzing every route', () => {
  it('has a valid body for every route with one, accepted as it is', async () => {
    const failures: string[] = [];
    for (const definition of routes.filter((route) => route.body)) {
      const key = `${definition.method} ${definition.url}`;
      const body = VALID_BODIES[key];
      if (!body) {
        failures.push(`${key}: no valid body in VALID_BODIES`);
        continue;
      }
      const response = await send(definition, {
        caller: 'admin',
        param: definition.url.includes(':') ? validParam(definition.url) : undefined,
        query: VALID_QUERIES[key] ?? '',
        body: JSON.stringify(body),
        contentType: 'application/json',
      });
      if (response.statusCode >= 300) failures.push(`${key}: ${response.statusCode} ${response.body.slice(0, 300)}`);
      await restorePrefix(t.ctx, seeded);
    }
    known = undefined;
    expect(failures).toEqual([]);
  });

  it.each(routes.map((definition) => [`${definition.method} ${definition.url}`, definition] as const))(
    '%s: no 5xx, errors name fields, no stack traces, refusals change nothing',
    async (_, definition) => {
      await fc.assert(
        fc.asyncProperty(requests(definition), (sent) => holds(definition, sent)),
        { numRuns: runsFor(definition) },
      );
    },
  );
});

describe('fuzzing the ping routes', () => {
  const pingSnapshot = () =>
    readPrefix(t.ctx, [`${t.ctx.keys.prefix}:rate:`, `${t.ctx.keys.prefix}:{heartbeats}:rate:`]);
  const pings = fc.record({
    method: fc.constantFrom('GET', 'POST') as fc.Arbitrary<'GET' | 'POST'>,
    token: fc.oneof({ weight: 2, arbitrary: fc.constant(a.pingToken) }, { weight: 3, arbitrary: junkParam }),
    signal: fc.oneof(
      fc.constantFrom('', '/start', '/fail', '/0', '/1', '/255', '/256', '/-1', '/01', '/1.5', '/start/x'),
      junkParam.map((junk) => `/${junk}`),
    ),
    body: fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 200 }),
      fc.constantFrom(...RAW_BODIES, 'z'.repeat(10 * 1024), 'z'.repeat(10 * 1024 + 1), HUGE_FIELD),
    ),
    contentType: fc.oneof(contentType, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', '')),
  });

  it('no 5xx, errors in the API shape, no stack traces; a refused ping changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(pings, async (sent) => {
        const before = await pingSnapshot();
        const response = await t.app.inject({
          method: sent.method,
          url: `/ping/${sent.token}${sent.signal}`,
          ...(sent.contentType !== '' && { headers: { 'content-type': sent.contentType } }),
          ...(sent.body !== undefined && { payload: sent.body }),
        });
        const said = `${sent.method} /ping/…${sent.signal} → ${response.statusCode} ${response.body.slice(0, 300)}`;
        expect(response.statusCode, said).toBeLessThan(500);
        expect(stackLeak(response.body, `${sent.token}${sent.signal} ${sent.body ?? ''}`), said).toBeUndefined();
        if (response.statusCode < 400) {
          await restorePrefix(t.ctx, seeded);
          return;
        }
        expect(response.headers['content-type'], said).toMatch(/^application\/json/);
        const parsed = errorBody.safeParse(response.json());
        expect(parsed.success ? [] : parsed.error.issues, said).toEqual([]);
        expect(await pingSnapshot(), `a refused ping changed Redis: ${said}`).toEqual(before);
      }),
      { numRuns: 300 },
    );
  });
});

describe('fuzzing the inbound integration routes', () => {
  it('no 5xx, errors in the API shape, no stack traces; a refused request changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(inboundRequests(a.incidentId, t.clock.now()), async (sent) => {
        const before = await readPrefix(t.ctx);
        const response = await t.app.inject(sent);
        const said = `POST ${sent.url} → ${response.statusCode} ${response.body.slice(0, 300)}`;
        expect(response.statusCode, said).toBeLessThan(500);
        expect(stackLeak(response.body, String(sent.payload ?? '')), said).toBeUndefined();
        if (response.statusCode < 400) {
          await restorePrefix(t.ctx, seeded);
          return;
        }
        expect(response.headers['content-type'], said).toMatch(/^application\/json/);
        const parsed = errorBody.safeParse(response.json());
        expect(parsed.success ? [] : parsed.error.issues, said).toEqual([]);
        expect(await readPrefix(t.ctx), `a refused request changed Redis: ${said}`).toEqual(before);
      }),
      { numRuns: 300 },
    );
  });
});

describe('inputs the fuzz found', () => {
  const admin = CALLERS.admin;

  it('refuses a body nested deeper than the limit with 400 naming where, not a stack overflow (500)', async () => {
    const before = await snapshot();
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/checks/${a.checkId}`,
      headers: { ...admin, 'content-type': 'application/json' },
      payload: `{"http":${nested(20_000, false)}}`,
    });
    expect(response.statusCode, response.body).toBe(400);
    const [issue] = response.json().error.issues;
    expect(issue).toMatchObject({ path: expect.stringMatching(/^http(\.a)+$/), in: 'body' });
    expect(issue.message).toContain('32 levels');
    expect(await snapshot()).toEqual(before);
  });

  it('answers a malformed percent-encoding and an over-long path segment in the error shape', async () => {
    for (const [url, status] of [
      ['/api/v1/checks/%E0%A4%A', 400],
      [`/api/v1/checks/${'a'.repeat(2_001)}`, 414],
      ['/no/such/route', 404],
    ] as const) {
      const response = await t.app.inject({ url, headers: admin });
      expect(response.statusCode, url).toBe(status);
      expect(errorBody.safeParse(response.json()).success, response.body).toBe(true);
      expect(response.json().error.issues[0].path).toBe('url');
    }
  });

  it('answers a malformed http.url with 400 naming http.url on create, replace and patch', async () => {
    const http = { url: 'not a url' };
    for (const [method, url, payload] of [
      ['POST', '/api/v1/checks', { ...CHECK, id: 'bad-url', http }],
      ['PUT', `/api/v1/checks/${a.checkId}`, { ...CHECK, http }],
      ['PATCH', `/api/v1/checks/${a.checkId}`, { http }],
    ] as const) {
      const response = await t.app.inject({ method, url, headers: admin, payload });
      expect(response.statusCode, `${method} ${response.body}`).toBe(400);
      expect(response.json().error.issues).toContainEqual(expect.objectContaining({ path: 'http.url' }));
    }
  });

  it('refuses a recurring maintenance whose period is past a year, or shorter than its duration', async () => {
    const before = await snapshot();
    for (const [recurring, path] of [
      [{ every: '99999999999d', duration: '1h' }, 'recurring.every'],
      [{ every: '53w', duration: '1h' }, 'recurring.every'],
      [{ every: '1d', duration: '25h' }, 'recurring.duration'],
    ] as const) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/maintenances',
        headers: admin,
        payload: { id: 'yearly', title: 'Yearly', checks: [a.checkId], start: '2026-01-01T00:00:00Z', recurring },
      });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().error.issues).toContainEqual(expect.objectContaining({ path }));
    }
    expect(await snapshot()).toEqual(before);
  });
});
