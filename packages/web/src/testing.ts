import assert from 'node:assert/strict';
import {
  type ApiToken,
  checkInputSchema,
  createAckToken,
  maintenanceSchema,
  resolveCheck,
  type TokenInput,
  tokenInputSchema,
  type VigilConfig,
  validateConfig,
} from '@vigil/core';
import { testContext } from '@vigil/core/testing';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from './app.js';
import type { WebContext } from './context.js';
import { createWebContext } from './web-server.js';

/**
 * The fleet config route tests run against: three vantages, two components of the operators, one
 * escalation; team-a (the usual write token's owner) is granted both components, `default` and
 * publishing; team-b nothing.
 */
export const TEST_CONFIG = {
  vantages: ['alpha', 'beta', 'gamma'],
  components: [
    { id: 'api', name: 'Public API' },
    { id: 'lb', name: 'Load balancers' },
  ],
  people: [{ id: 'ana', name: 'Ana', email: 'ana@example.com' }],
  escalations: [{ id: 'default', levels: [{ notify: ['person:ana'], after: '0s' }] }],
  grants: [{ owner: 'team-a', components: ['api', 'lb'], escalations: ['default'], publish: true }],
  checks: [{ id: 'from-config', component: 'api', http: { url: 'https://api.example.com/health' } }],
};

/** A web app on real Redis under a fresh prefix, with a fake clock, and helpers to mint tokens. */
export async function testWebApp(config: unknown = TEST_CONFIG): Promise<{
  app: FastifyInstance;
  ctx: WebContext;
  config: VigilConfig;
  clock: { now(): number; set(ms: number): void; advance(ms: number): void };
  token(input: TokenInput): Promise<{ token: string; record: ApiToken; auth: { authorization: string } }>;
  cleanup(): Promise<void>;
}> {
  let now = Date.UTC(2026, 10, 25, 12, 0, 0);
  const clock = {
    now: () => now,
    set: (ms: number) => {
      now = ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
  const base = await testContext('web', { clock });
  const parsed = validateConfig(config, 'test config');
  const ctx = createWebContext(base, { config: parsed, secret: 'test-secret-0123456789abcdef' });
  for (const check of parsed.checks) await ctx.checks.put(check);
  const app = buildApp(ctx);
  await app.ready();
  return {
    app,
    ctx,
    config: parsed,
    clock,
    async token(input) {
      const created = await ctx.tokens.create(tokenInputSchema.parse(input), { now, createdBy: 'test' });
      return { ...created, auth: { authorization: `Bearer ${created.token}` } };
    },
    async cleanup() {
      await app.close();
      await base.cleanup();
    },
  };
}

/** What `seedOwned` stored for an owner. */
export interface OwnedFixtures {
  checkId: string;
  /** An open incident whose only member is the check. */
  incidentId: string;
  /** A one-off maintenance of the check, starting in an hour. */
  maintenanceId: string;
  /** A signed acknowledge link token for the incident, as a page carries it. */
  ackToken: string;
  /** A heartbeat check of the owner's, and its ping token. */
  heartbeatId: string;
  pingToken: string;
}

/** One of each resource an owner can have, written with the core stores rather than the API under test. */
export async function seedOwned(ctx: WebContext, owner: string): Promise<OwnedFixtures> {
  const now = ctx.clock.now();
  const input = checkInputSchema.parse({
    id: `${owner}-web`,
    component: 'api',
    interval: '1m',
    vantages: ['alpha', 'beta'],
    http: { url: 'https://example.com/' },
  });
  const check = { ...resolveCheck(input, ctx.config.defaults), owner };
  await ctx.checks.createOwned(check, Number.MAX_SAFE_INTEGER);
  const { id: incidentId } = await ctx.incidents.openOrJoin(
    {
      group: `check:${check.id}`,
      title: `${check.name} is down`,
      impact: 'major',
      severity: 'major',
      startedAt: now,
      member: {
        checkId: check.id,
        name: check.name,
        down: true,
        firstFailedRound: now - 60_000,
        lastFailedRound: now,
        vantagesFailing: ['alpha', 'beta'],
        vantagesTotal: 2,
        error: 'connect_refused',
        message: 'connection refused',
      },
      openedMessage: `${check.name} is failing.`,
      joinedMessage: `${check.name} is failing too.`,
    },
    now,
    ctx.config.notifier.reopenWindow,
  );
  const maintenance = maintenanceSchema.parse({
    id: `${owner}-upgrade`,
    title: 'Database upgrade',
    checks: [check.id],
    start: new Date(now + 3_600_000).toISOString(),
    end: new Date(now + 7_200_000).toISOString(),
  });
  await ctx.maintenances.create(maintenance);
  const ackToken = createAckToken(ctx.secret, { incidentId, episode: 1, by: 'ana', ttlMs: 86_400_000, now });
  const heartbeatInput = checkInputSchema.parse({ id: `${owner}-backup`, interval: '1h', heartbeat: { grace: '5m' } });
  const heartbeat = { ...resolveCheck(heartbeatInput, ctx.config.defaults), owner };
  await ctx.checks.createOwned(heartbeat, Number.MAX_SAFE_INTEGER);
  const pingToken = await ctx.heartbeats.rotate(heartbeat.id, now);
  return {
    checkId: check.id,
    incidentId,
    maintenanceId: maintenance.id,
    ackToken,
    heartbeatId: heartbeat.id,
    pingToken,
  };
}

/** The keys under a test app's prefix (SCAN, never KEYS). */
export async function keysUnder(ctx: WebContext): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await ctx.redis.scan(cursor, 'MATCH', `${ctx.keys.prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

export type PrefixDump = { key: string; ttl: number; value: Buffer | null }[];

/** Every key under the prefix, serialised with its TTL, so a test can put the same state back. */
export async function dumpPrefix(ctx: WebContext): Promise<PrefixDump> {
  return Promise.all(
    (await keysUnder(ctx)).map(async (key) => ({
      key,
      ttl: Math.max(0, await ctx.redis.pttl(key)),
      value: await ctx.redis.dumpBuffer(key),
    })),
  );
}

/** Makes the prefix hold exactly what `dumpPrefix` saw: later keys go, changed keys are restored. */
export async function restorePrefix(ctx: WebContext, dump: PrefixDump): Promise<void> {
  const current = await keysUnder(ctx);
  const multi = ctx.redis.multi();
  if (current.length > 0) multi.unlink(...current);
  for (const { key, ttl, value } of dump) if (value) multi.restore(key, ttl, value, 'REPLACE');
  await multi.exec();
}

/**
 * Every key under the prefix but those starting with `except` (say, rate-limit counters), each
 * with its value read by its type, for tests that assert a request changed nothing.
 */
export async function readPrefix(ctx: WebContext, except: string[] = []): Promise<Record<string, string>> {
  const keys = (await keysUnder(ctx)).filter((key) => !except.some((prefix) => key.startsWith(prefix))).sort();
  const { redis } = ctx;
  const types = ((await redis.pipeline(keys.map((key) => ['type', key])).exec()) ?? []).map(([, type]) => type);
  const values = await Promise.all(
    keys.map((key, i) => {
      switch (types[i]) {
        case 'string':
          return redis.get(key);
        case 'hash':
          return redis.hgetall(key).then((hash) => Object.entries(hash).sort());
        case 'list':
          return redis.lrange(key, 0, -1);
        case 'set':
          return redis.smembers(key).then((members) => members.sort());
        case 'zset':
          return redis.zrange(key, 0, -1, 'WITHSCORES');
        case 'stream':
          return redis.xrange(key, '-', '+');
        default:
          return `(${String(types[i])})`;
      }
    }),
  );
  return Object.fromEntries(keys.map((key, i) => [key, JSON.stringify(values[i])]));
}

/**
 * Opens an incident as the route tests page it: a critical outage of the Public API under the
 * `default` escalation, started a minute before the app's clock, with a ten-minute reopen window.
 */
export async function openTestIncident(
  ctx: WebContext,
  options: { group?: string; title?: string } = {},
): Promise<string> {
  const now = ctx.clock.now();
  const { id } = await ctx.incidents.openOrJoin(
    {
      group: options.group ?? 'component:api',
      title: options.title ?? 'Public API: outage',
      impact: 'major',
      severity: 'critical',
      component: 'api',
      escalation: 'default',
      startedAt: now - 60_000,
      openedMessage: 'API is failing.',
      joinedMessage: '',
    },
    now,
    600_000,
  );
  return id;
}

/** A console form as a browser posts it: urlencoded fields. */
export function consoleForm(fields: Record<string, string>): {
  payload: string;
  headers: { 'content-type': string };
} {
  return {
    payload: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

/** Signs in to the console with a token through its form: the session cookie and the page's CSRF token. */
export async function consoleSignIn(app: FastifyInstance, secret: string): Promise<{ cookie: string; csrf: string }> {
  const response = await app.inject({ method: 'POST', url: '/console/sign-in', ...consoleForm({ token: secret }) });
  assert.equal(response.statusCode, 303, response.body);
  const cookie = String(response.headers['set-cookie']).split(';')[0] ?? '';
  const page = await app.inject({ method: 'GET', url: '/console', headers: { cookie } });
  assert.equal(page.statusCode, 200, page.body);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  assert.notEqual(csrf, '', 'the console page carries a CSRF token');
  return { cookie, csrf };
}

/** Posts a console form as a browser does: urlencoded fields and the session cookie. */
export function postConsoleForm(
  app: FastifyInstance,
  cookie: string,
  url: string,
  fields: Record<string, string>,
): Promise<LightMyRequestResponse> {
  const form = consoleForm(fields);
  return app.inject({ method: 'POST', url, payload: form.payload, headers: { ...form.headers, cookie } });
}
