import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenStore } from '../access/token-store.js';
import type { Check } from '../checks/check.js';
import { CheckRegistry } from '../checks/check-registry.js';
import { type VigilConfig, validateConfig } from '../config/config.js';
import type { IncidentMember } from '../incidents/incident.js';
import { IncidentStore, type OpenRequest } from '../incidents/incident-store.js';
import { MaintenanceSource } from '../maintenance/maintenance-source.js';
import { MaintenanceStore } from '../maintenance/maintenance-store.js';
import { HOUR_COUNT_WEIGHTS, HOUR_COUNTS_FIELD } from '../results/verdict-ring.js';
import { type RedisKeys, redisKeys, utcDay } from '../runtime/keys.js';
import { incidentMemberFixture, openRequestFixture, T0, testRedis } from '../testing/index.js';
import { PublicStatusReader } from './public-status-reader.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Names that must never reach the public: check ids, targets, errors, vantages, people. */
const INTERNAL = [
  'api-health',
  'api.internal.example.com',
  'db-main',
  'db.internal.example.net',
  'alpha',
  'beta',
  'connect_refused',
  'connection refused',
  'ana',
];

function config(extra: Record<string, unknown> = {}): VigilConfig {
  return validateConfig({
    vantages: ['alpha', 'beta'],
    components: [
      { id: 'api', name: 'Public API' },
      { id: 'lb', name: 'Load balancers' },
      { id: 'db', name: 'Internal database' },
    ],
    checks: [
      { id: 'api-health', component: 'api', http: { url: 'https://api.internal.example.com/health' } },
      {
        id: 'api-v2',
        name: 'API v2',
        component: 'api',
        public: true,
        http: { url: 'https://api.example.com/v2?api_key=s3cret&region=eu#frag' },
      },
      { id: 'lb-tcp', component: 'lb', tcp: { host: 'lb.example.net', port: 443 } },
      { id: 'lb-old', component: 'lb', paused: true, tcp: { host: 'lb-old.example.net', port: 443 } },
      { id: 'db-main', component: 'db', tcp: { host: 'db.internal.example.net', port: 5432 } },
    ],
    statusPage: {
      title: 'Example Status',
      url: 'https://status.example.com',
      components: ['api', { group: 'Edge', components: ['lb'] }],
    },
    ...extra,
  });
}

const member = (checkId: string, overrides: Partial<IncidentMember> = {}) =>
  incidentMemberFixture(checkId, T0, { lastGoodBefore: T0 - 4 * MIN, ...overrides });

/** An incident request as the notifier writes it: internal names everywhere. */
const request = (checkId: string, overrides: Partial<OpenRequest> = {}) =>
  openRequestFixture(checkId, T0, { member: member(checkId), ...overrides });

describe('PublicStatusReader', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let keys: RedisKeys;
  let incidents: IncidentStore;
  let now: number;
  const clock = { now: () => now };

  beforeEach(async () => {
    ctx = await testRedis('public-status');
    keys = redisKeys(ctx.prefix);
    incidents = new IncidentStore({ redis: ctx.redis, keys });
    now = T0 + 4 * HOUR;
  });
  afterEach(() => ctx.cleanup());

  const reader = (extra?: Record<string, unknown>) => {
    const stores = { redis: ctx.redis, keys };
    const cfg = config(extra);
    const maintenanceSource = new MaintenanceSource({ maintenances: new MaintenanceStore(stores), config: cfg });
    return new PublicStatusReader({
      ...stores,
      clock,
      config: cfg,
      checks: new CheckRegistry(stores),
      tokens: new TokenStore(stores),
      incidents,
      maintenanceSource,
    });
  };
  const setState = (checkId: string, state: string, since = T0) =>
    ctx.redis.hset(keys.checkState(checkId), 'state', state, 'since', since);
  const decided = (checkId: string, at: number, counts: Record<string, number>) =>
    Promise.all(
      Object.entries(counts).map(([verdict, n]) => ctx.redis.hincrby(keys.verdictDay(checkId, utcDay(at)), verdict, n)),
    );

  it('shows the listed components in page order, without private ones, all operational before any data', async () => {
    const status = await reader().status();
    expect(status.page).toEqual({ title: 'Example Status', url: 'https://status.example.com', updatedAt: now });
    expect(status.components.map((c) => [c.id, c.name, c.group, c.status, c.position])).toEqual([
      ['api', 'Public API', undefined, 'operational', 0],
      ['lb', 'Load balancers', 'Edge', 'operational', 1],
    ]);
    expect(status).toMatchObject({ indicator: 'none', description: 'All Systems Operational', incidents: [] });
    const [api] = status.components;
    expect(api?.uptimeDays).toHaveLength(90);
    expect(api?.uptimeDays.every((day) => day.worst === 'no_data' && day.uptime === null)).toBe(true);
    expect(api?.uptime).toBeNull();
  });

  it('lists only public checks, with their target as scheme, host and path: no query string or fragment', async () => {
    const [api, lb] = (await reader().status()).components;
    expect(api?.checks).toEqual([
      { id: 'api-v2', name: 'API v2', target: 'https://api.example.com/v2', status: 'operational' },
    ]);
    expect(lb?.checks).toEqual([]);
    const shown = JSON.stringify(await reader().status());
    expect(shown).not.toMatch(/api-health|api\.internal|lb\.example\.net/);
    expect(shown).not.toMatch(/s3cret|api_key|region|frag/);
  });

  it('publishes a tenant’s check only with a publish grant, and counts it only in a component it may use', async () => {
    const registry = new CheckRegistry({ redis: ctx.redis, keys });
    const tenant = (id: string, owner: string, component: string) =>
      registry.put({
        ...(config().checks.find((check) => check.id === 'api-v2') as Check),
        id,
        name: `URGENT: reset your password (${id})`,
        owner,
        component,
        public: true,
      });
    await tenant('b-urgent', 'team-b', 'api'); // api granted to team-b, but no publish
    await tenant('c-urgent', 'team-c', 'api'); // nothing granted: does not count in api at all
    await tenant('p-shown', 'team-p', 'lb'); // lb and publish granted
    await tenant('root-shown', 'root', 'lb'); // root holds an admin token: the operators
    await new TokenStore({ redis: ctx.redis, keys }).create(
      { owner: 'root', scope: 'admin' },
      { now, createdBy: 'test' },
    );
    await setState('c-urgent', 'down');
    const grants = {
      grants: [
        { owner: 'team-b', components: ['api'] },
        { owner: 'team-p', components: ['lb'], publish: true },
      ],
    };
    const status = await reader(grants).status();
    const [api, lb] = status.components;
    expect(api?.checks.map((check) => check.id)).toEqual(['api-v2']);
    expect(lb?.checks.map((check) => check.id).sort()).toEqual(['p-shown', 'root-shown']);
    // team-c's check is not in a component it may use: its outage does not count toward api.
    expect(api?.status).toBe('operational');
    expect(JSON.stringify(status)).not.toMatch(/b-urgent|c-urgent/);
    // team-b's is in its granted component: it counts, though it is not shown.
    await setState('b-urgent', 'down');
    now += 5_000;
    expect((await reader(grants).status()).components[0]?.status).toBe('partial_outage');
  });

  it('takes the worst of the running checks: some down is partial, all down major, degraded minor', async () => {
    await setState('api-health', 'down', T0 + HOUR);
    await setState('api-v2', 'up');
    await setState('lb-tcp', 'degraded');
    await setState('lb-old', 'down'); // paused: says nothing
    let status = await reader().status();
    expect(status.components.map((c) => c.status)).toEqual(['partial_outage', 'degraded_performance']);
    expect(status).toMatchObject({ indicator: 'major', description: 'Partial System Outage' });
    expect(status.page.updatedAt).toBe(T0 + HOUR);

    await setState('api-v2', 'down');
    now += 5_000;
    status = await reader().status();
    expect(status.components[0]?.status).toBe('major_outage');
    expect(status).toMatchObject({ indicator: 'critical', description: 'Major System Outage' });
    expect(status.components[0]?.checks[0]?.status).toBe('major_outage');
  });

  it('shows maintenance over a component, lists public windows and hides private ones', async () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    const maintenances = [
      { id: 'lb-swap', title: 'Load balancer swap', components: ['lb'], start: iso(now - HOUR), end: iso(now + HOUR) },
      {
        id: 'api-db',
        title: 'API database upgrade',
        checks: ['api-health'],
        start: iso(now + 3 * DAY),
        end: iso(now + 3 * DAY + HOUR),
      },
      { id: 'db-only', title: 'Secret db work', components: ['db'], start: iso(now - HOUR), end: iso(now + HOUR) },
      { id: 'far', title: 'Far away', components: ['api'], start: iso(now + 40 * DAY), end: iso(now + 41 * DAY) },
    ];
    await setState('lb-tcp', 'down');
    const status = await reader({ maintenances }).status();
    expect(status.components.map((c) => c.status)).toEqual(['operational', 'under_maintenance']);
    expect(status).toMatchObject({ indicator: 'maintenance', description: 'Service Under Maintenance' });
    expect(status.maintenances).toEqual([
      {
        id: 'lb-swap',
        title: 'Load balancer swap',
        status: 'in_progress',
        start: now - HOUR,
        end: now + HOUR,
        components: ['lb'],
      },
      {
        id: 'api-db',
        title: 'API database upgrade',
        status: 'scheduled',
        start: now + 3 * DAY,
        end: now + 3 * DAY + HOUR,
        components: ['api'],
      },
    ]);
  });

  it('counts the hour a check’s state holds, not yet in its rings, in that hour’s day (after midnight too)', async () => {
    // The evaluator counts a check's latest hour in its state, put in the rings when a later hour's round comes.
    const hourCounts = (checkId: string, hour: number, ok: number, fail: number) =>
      ctx.redis.hset(keys.checkState(checkId), HOUR_COUNTS_FIELD, `${hour}|${ok + fail * HOUR_COUNT_WEIGHTS.fail}`);
    await hourCounts('api-health', Math.floor(now / HOUR), 90, 10);
    await hourCounts('api-v2', Math.floor(now / DAY) * 24 - 1, 40, 60); // yesterday 23:00, no round since
    await decided('api-v2', now, { ok: 100 });
    const api = (await reader().status()).components[0];
    expect(api?.uptimeDays.slice(-3)).toEqual([
      { day: utcDay(now - 2 * DAY), uptime: null, worst: 'no_data' },
      { day: utcDay(now - DAY), uptime: 0.4, worst: 'major_outage' },
      { day: utcDay(now), uptime: 0.95, worst: 'partial_outage' },
    ]);
    expect(api?.uptime).toBeCloseTo((190 + 40) / 300);
  });

  it('draws daily bars summed over the component’s checks', async () => {
    await decided('api-health', now, { ok: 90, fail: 10 });
    await decided('api-v2', now, { ok: 100 });
    await decided('api-health', now - DAY, { ok: 40, fail: 60 });
    await decided('api-v2', now - 2 * DAY, { ok: 95, degraded: 5 });
    await decided('api-v2', now - 3 * DAY, { ok: 10 });
    const api = (await reader().status()).components[0];
    expect(api?.uptimeDays.slice(-5)).toEqual([
      { day: utcDay(now - 4 * DAY), uptime: null, worst: 'no_data' },
      { day: utcDay(now - 3 * DAY), uptime: 1, worst: 'operational' },
      { day: utcDay(now - 2 * DAY), uptime: 1, worst: 'degraded_performance' },
      { day: utcDay(now - DAY), uptime: 0.4, worst: 'major_outage' },
      { day: utcDay(now), uptime: 0.95, worst: 'partial_outage' },
    ]);
    expect(api?.uptime).toBeCloseTo((190 + 40 + 100 + 10) / 410);
  });

  it('shows incidents of public components in public wording, never fleet or private ones', async () => {
    const store = incidents;
    const { id } = await store.openOrJoin(request('api-health'), T0 + MIN, 10 * MIN);
    await store.openOrJoin(
      request('db-main', { group: 'check:db-main', component: 'db', member: member('db-main') }),
      T0 + 2 * MIN,
      10 * MIN,
    );
    await store.openOrJoin(
      request('alpha', { group: 'vantage:alpha', impact: 'fleet', title: 'Vantage alpha is silent' }),
      T0 + 3 * MIN,
      10 * MIN,
    );
    const status = await reader().status();
    expect(status.incidents).toHaveLength(1);
    expect(status.incidents[0]).toMatchObject({
      id,
      name: 'Public API outage',
      status: 'investigating',
      impact: 'major',
      components: ['api'],
      updates: [{ id: `${id}-0`, message: 'We are investigating problems with Public API.', human: false }],
    });
    expect(status).toMatchObject({ indicator: 'major', description: 'Partial System Outage' });
    expect(await reader().incident('2')).toBeUndefined();
    expect(await reader().incident('3')).toBeUndefined();
    const history = await reader().history({ page: 1, perPage: 10 });
    expect(history).toMatchObject({ total: 1, hasMore: false });
    expect(history.incidents.map((i) => i.id)).toEqual([id]);
    for (const name of INTERNAL) expect(JSON.stringify(status)).not.toContain(name);
  });

  it('rewrites Vigil’s timeline: partial recovery by counts, resolution with bounds, reopening', async () => {
    const { id } = await incidents.openOrJoin(request('api-health', { severity: 'critical' }), T0 + MIN, 10 * MIN);
    await incidents.openOrJoin(request('api-v2', { member: member('api-v2') }), T0 + 2 * MIN, 10 * MIN);
    await incidents.acknowledge(id, 'ana', T0 + 3 * MIN);
    await incidents.addUpdate(
      id,
      { by: 'ana', status: 'identified', message: 'A <b>bad</b> deploy; rolling back.' },
      T0 + 4 * MIN,
    );
    const recovered = (checkId: string, at: number, lastFailedRound: number) =>
      incidents.memberRecovered(
        id,
        {
          checkId,
          firstGoodAfter: at,
          lastFailedRound,
          partialMessage: 'Partial recovery; checks still failing: %d.',
          resolvedMessage: `Resolved: ${checkId} via alpha is up again.`,
        },
        at,
      );
    await recovered('api-v2', T0 + HOUR, T0 + HOUR - MIN);
    await recovered('api-health', T0 + 3 * HOUR, T0 + 2 * HOUR + 50 * MIN);
    await incidents.openOrJoin(request('api-health', { severity: 'critical' }), T0 + 3 * HOUR + 5 * MIN, 10 * MIN);
    await incidents.resolve(id, 'ana', T0 + 3 * HOUR + 30 * MIN);

    const incident = await reader().incident(id);
    expect(incident?.impact).toBe('critical');
    expect(incident?.updates.map((u) => [u.status, u.message, u.human])).toEqual([
      ['resolved', expect.stringMatching(/^Public API is working normally again\. It was unavailable/), true],
      ['investigating', 'The problem with Public API is back; we are investigating.', false],
      [
        'resolved',
        'Public API is working normally again. It was unavailable for at least 2h 50m and at most 3h 4m.',
        false,
      ],
      ['identified', 'Partially recovered: 1 of 2 affected checks are up again; we are still investigating.', false],
      ['identified', 'A <b>bad</b> deploy; rolling back.', true],
      ['investigating', 'We are investigating problems with Public API.', false],
    ]);
    expect(incident?.updates.map((u) => u.id)).toEqual([
      `${id}-6`,
      `${id}-5`,
      `${id}-4`,
      `${id}-3`,
      `${id}-2`,
      `${id}-0`,
    ]);
    for (const name of INTERNAL) expect(JSON.stringify(incident)).not.toContain(name);
    expect(await reader().incidentsForFeed(5)).toEqual([incident]);
  });

  it('pages the public history newest first and shows a published postmortem', async () => {
    const { id: older } = await incidents.openOrJoin(request('api-health'), T0 + MIN, 10 * MIN);
    await incidents.resolve(older, 'ana', T0 + HOUR);
    await incidents.setPostmortem(older, { markdown: '# What happened', by: 'ana' }, T0 + 2 * HOUR);
    await incidents.openOrJoin(
      request('alpha', { group: 'vantage:alpha', impact: 'fleet', startedAt: T0 + HOUR }),
      T0 + HOUR,
      10 * MIN,
    );
    const lbIncident = request('lb-tcp', {
      group: 'component:lb',
      component: 'lb',
      impact: 'minor',
      startedAt: T0 + 2 * HOUR,
    });
    const { id: newer } = await incidents.openOrJoin(lbIncident, T0 + 2 * HOUR, 10 * MIN);

    const first = await reader().history({ page: 1, perPage: 1 });
    expect(first).toMatchObject({ page: 1, perPage: 1, total: 2, hasMore: true });
    expect(first.incidents.map((i) => [i.id, i.name, i.impact])).toEqual([[newer, 'Load balancers degraded', 'minor']]);
    const second = await reader().history({ page: 2, perPage: 1 });
    expect(second).toMatchObject({ total: 2, hasMore: false });
    expect(second.incidents[0]).toMatchObject({
      id: older,
      status: 'postmortem',
      postmortem: { markdown: '# What happened', publishedAt: T0 + 2 * HOUR },
    });
  });

  it('shares one status build for two seconds', async () => {
    const shared = reader();
    const first = await shared.status();
    await setState('api-health', 'down');
    expect(await shared.status()).toBe(first);
    now += 2_000;
    expect((await shared.status()).components[0]?.status).toBe('partial_outage');
  });

  it('reuses a check’s daily bars for a minute once today has data, while states stay live', async () => {
    const shared = reader();
    expect((await shared.status()).components[0]?.uptime).toBeNull();
    await decided('api-health', now, { ok: 10 });
    now += 2_000;
    expect((await shared.status()).components[0]?.uptime).toBe(1); // no data today was not kept
    await decided('api-health', now, { fail: 10 });
    await setState('api-health', 'down');
    now += 2_000;
    const meanwhile = (await shared.status()).components[0];
    expect(meanwhile?.status).toBe('partial_outage');
    expect(meanwhile?.uptime).toBe(1);
    now += 60_000;
    expect((await shared.status()).components[0]?.uptime).toBe(0.5);
  });
});
