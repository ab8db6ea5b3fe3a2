import type { OpenRequest } from '@vigil/core';
import { incidentMemberFixture, openRequestFixture } from '@vigil/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testWebApp } from '../testing.js';

/**
 * The Statuspage v2 public API, written from its documentation: every field present, enums exactly as
 * listed there (the page indicator also takes `maintenance`, as Statuspage pages under maintenance report).
 */
const timestamp = z.iso.datetime({ offset: true });
const componentStatus = z.enum([
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
]);
const incidentStatus = z.enum(['investigating', 'identified', 'monitoring', 'resolved', 'postmortem']);
const maintenanceStatus = z.enum(['scheduled', 'in_progress', 'verifying', 'completed']);
const page = z.strictObject({
  id: z.string(),
  name: z.string(),
  url: z.url(),
  time_zone: z.string(),
  updated_at: timestamp,
});
const status = z.strictObject({
  indicator: z.enum(['none', 'minor', 'major', 'critical', 'maintenance']),
  description: z.string(),
});
const component = z.strictObject({
  id: z.string(),
  name: z.string(),
  status: componentStatus,
  created_at: timestamp,
  updated_at: timestamp,
  position: z.int(),
  description: z.string().nullable(),
  showcase: z.boolean(),
  start_date: z.iso.date().nullable(),
  group_id: z.string().nullable(),
  page_id: z.string(),
  group: z.boolean(),
  only_show_if_degraded: z.boolean(),
  components: z.array(z.string()).optional(),
});
const update = (statuses: z.ZodEnum) =>
  z.strictObject({
    id: z.string(),
    status: statuses,
    body: z.string(),
    incident_id: z.string(),
    created_at: timestamp,
    updated_at: timestamp,
    display_at: timestamp,
    affected_components: z.array(z.object({ code: z.string(), name: z.string() })).nullable(),
    deliver_notifications: z.boolean(),
    custom_tweet: z.string().nullable(),
    tweet_id: z.string().nullable(),
  });
const incidentFields = {
  id: z.string(),
  name: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
  monitoring_at: timestamp.nullable(),
  resolved_at: timestamp.nullable(),
  shortlink: z.url(),
  started_at: timestamp,
  page_id: z.string(),
  components: z.array(component),
};
const incident = z.strictObject({
  ...incidentFields,
  status: incidentStatus,
  impact: z.enum(['none', 'minor', 'major', 'critical']),
  incident_updates: z.array(update(incidentStatus)),
});
const maintenance = z.strictObject({
  ...incidentFields,
  status: maintenanceStatus,
  impact: z.enum(['none', 'minor', 'major', 'critical', 'maintenance']),
  incident_updates: z.array(update(maintenanceStatus)),
  scheduled_for: timestamp,
  scheduled_until: timestamp,
});
const ENDPOINTS = {
  '/api/v2/summary.json': z.strictObject({
    page,
    components: z.array(component),
    incidents: z.array(incident),
    scheduled_maintenances: z.array(maintenance),
    status,
  }),
  '/api/v2/status.json': z.strictObject({ page, status }),
  '/api/v2/components.json': z.strictObject({ page, components: z.array(component) }),
  '/api/v2/incidents.json': z.strictObject({ page, incidents: z.array(incident) }),
  '/api/v2/incidents/unresolved.json': z.strictObject({ page, incidents: z.array(incident) }),
  '/api/v2/scheduled-maintenances.json': z.strictObject({ page, scheduled_maintenances: z.array(maintenance) }),
  '/api/v2/scheduled-maintenances/upcoming.json': z.strictObject({
    page,
    scheduled_maintenances: z.array(maintenance),
  }),
  '/api/v2/scheduled-maintenances/active.json': z.strictObject({ page, scheduled_maintenances: z.array(maintenance) }),
} as const;

const XSS = '<script>alert(1)</script> ]]> &amp; \u0001\u001f "><img src=x onerror=alert(1)>';
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

const CONFIG = {
  vantages: ['alpha', 'beta'],
  components: [
    { id: 'api', name: `Public API ${XSS}`, description: XSS },
    { id: 'lb', name: 'Load balancers' },
    { id: 'db', name: 'Internal database' },
  ],
  checks: [
    { id: 'api-health', component: 'api', http: { url: 'https://api.internal.example.com/health' } },
    {
      id: 'api-public',
      name: 'Public endpoint',
      component: 'api',
      public: true,
      http: { url: 'https://api.example.com/' },
    },
    { id: 'lb-tcp', component: 'lb', tcp: { host: 'lb.internal.example.net', port: 443 } },
    { id: 'db-main', component: 'db', tcp: { host: 'db.internal.example.net', port: 5432 } },
  ],
  maintenances: [
    { id: 'lb-swap', title: 'Load balancer swap', components: ['lb'], start: iso(NOW - HOUR), end: iso(NOW + HOUR) },
    { id: 'api-later', title: XSS, components: ['api'], start: iso(NOW + 48 * HOUR), end: iso(NOW + 49 * HOUR) },
    { id: 'lb-past', title: 'Old swap', checks: ['lb-tcp'], start: iso(NOW - 72 * HOUR), end: iso(NOW - 71 * HOUR) },
    { id: 'db-secret', title: 'Internal database work', components: ['db'], start: iso(NOW), end: iso(NOW + HOUR) },
  ],
  statusPage: { title: 'Example Status', components: ['api', { group: 'Edge', components: ['lb'] }] },
};

/** Strings only the fleet's operators may see. */
const INTERNAL = [
  'api-health',
  'api.internal',
  'lb.internal',
  'lb-tcp',
  'db-main',
  'Internal database',
  'alpha',
  'connect_refused',
];

const member = (checkId: string) =>
  incidentMemberFixture(checkId, NOW - 10 * 60_000, { lastFailedRound: NOW - 60_000 });

const request = (checkId: string, overrides: Partial<OpenRequest> = {}) =>
  openRequestFixture(checkId, NOW - 10 * 60_000, { member: member(checkId), ...overrides });

describe('Statuspage v2 JSON', () => {
  let web: Awaited<ReturnType<typeof testWebApp>>;
  let apiIncident: string;

  beforeAll(async () => {
    web = await testWebApp(CONFIG);
    const { ctx } = web;
    await ctx.redis.hset(ctx.keys.checkState('api-health'), 'state', 'down', 'since', NOW - 10 * 60_000);
    ({ id: apiIncident } = await ctx.incidents.openOrJoin(request('api-health'), NOW - 9 * 60_000, 600_000));
    await ctx.incidents.addUpdate(apiIncident, { by: 'ana', status: 'identified', message: XSS }, NOW - 5 * 60_000);
    await ctx.incidents.openOrJoin(request('db-main', { group: 'check:db-main', component: 'db' }), NOW, 600_000);
    await ctx.incidents.openOrJoin(request('alpha', { group: 'vantage:alpha', impact: 'fleet' }), NOW, 600_000);
  });
  afterAll(() => web.cleanup());

  const get = (url: string, headers: Record<string, string> = {}) => web.app.inject({ method: 'GET', url, headers });

  it('serves every endpoint in the documented shape, to any origin, with caching headers', async () => {
    for (const [url, schema] of Object.entries(ENDPOINTS)) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toBe('application/json; charset=utf-8');
      expect(response.headers['access-control-allow-origin'], url).toBe('*');
      expect(response.headers['cache-control'], url).toMatch(/^public, max-age=\d+/);
      const parsed = schema.safeParse(response.json());
      expect(parsed.error?.issues, url).toBeUndefined();
    }
  });

  it('summarises the page: components in order with their group, open public incidents, the banner', async () => {
    const summary = (await get('/api/v2/summary.json')).json();
    expect(summary.page).toMatchObject({ name: 'Example Status', url: 'http://localhost:80', time_zone: 'Etc/UTC' });
    expect(summary.status).toEqual({ indicator: 'major', description: 'Partial System Outage' });
    const [api, edge, lb] = summary.components;
    expect(api).toMatchObject({ id: 'api', status: 'partial_outage', position: 1, group: false, group_id: null });
    expect(edge).toMatchObject({
      name: 'Edge',
      group: true,
      components: ['lb'],
      status: 'under_maintenance',
      position: 2,
    });
    expect(lb).toMatchObject({ id: 'lb', status: 'under_maintenance', group_id: edge.id, position: 3 });
    expect(summary.components).toHaveLength(3);
    expect(summary.incidents.map((i: { id: string }) => i.id)).toEqual([apiIncident]);
    expect(summary.incidents[0]).toMatchObject({
      status: 'identified',
      impact: 'major',
      shortlink: `http://localhost:80/incidents/${apiIncident}`,
      components: [{ id: 'api' }],
    });
    expect(summary.incidents[0].incident_updates.map((u: { body: string }) => u.body)).toEqual([
      XSS,
      `We are investigating problems with Public API ${XSS}.`,
    ]);
    expect(summary.scheduled_maintenances.map((m: { id: string; status: string }) => [m.id, m.status])).toEqual([
      ['lb-swap', 'in_progress'],
      ['api-later', 'scheduled'],
    ]);
  });

  it('lists maintenance by state: upcoming, active, and all recent ones newest first', async () => {
    const ids = async (url: string) =>
      (await get(url)).json().scheduled_maintenances.map((m: { id: string; status: string }) => [m.id, m.status]);
    expect(await ids('/api/v2/scheduled-maintenances/upcoming.json')).toEqual([['api-later', 'scheduled']]);
    expect(await ids('/api/v2/scheduled-maintenances/active.json')).toEqual([['lb-swap', 'in_progress']]);
    expect(await ids('/api/v2/scheduled-maintenances.json')).toEqual([
      ['api-later', 'scheduled'],
      ['lb-swap', 'in_progress'],
      ['lb-past', 'completed'],
    ]);
  });

  it('answers a matching If-None-Match with a bodiless 304', async () => {
    const first = await get('/api/v2/components.json');
    const etag = first.headers.etag as string;
    expect(etag).toBeTruthy();
    const again = await get('/api/v2/components.json', { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('never names internal checks, targets, vantages or private components', async () => {
    for (const url of Object.keys(ENDPOINTS)) {
      const body = (await get(url)).body;
      for (const word of INTERNAL) expect(body, `${url} names ${word}`).not.toContain(word);
    }
  });

  it('returns hostile strings as plain JSON strings, with no raw markup in the body', async () => {
    const response = await get('/api/v2/summary.json');
    expect(response.body).not.toContain('<script>');
    expect(response.body).not.toContain('<img');
    const summary = response.json();
    expect(summary.components[0].name).toBe(`Public API ${XSS}`);
    expect(summary.components[0].description).toBe(XSS);
    expect(summary.scheduled_maintenances[1].name).toBe(XSS);
  });
});
