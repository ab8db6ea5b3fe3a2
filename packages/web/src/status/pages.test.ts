import {
  type IncidentStore,
  maintenanceSchema,
  type PublicComponent,
  type PublicIncident,
  type PublicStatus,
} from '@vigil/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testWebApp } from '../testing.js';
import { escapeHtml, html } from './page/escape.js';
import { historyPage } from './page/history-page.js';
import { homePage } from './page/home.js';
import { incidentPage } from './page/incident-page.js';

/** Strings that break naive templating: tags, attribute breakouts, URLs, template syntax, entities, bidi. */
const XSS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '</style><script>alert(2)</script>',
  '{{7*7}}',
  '&lt;script&gt;',
  'evil\u202Egnp.exe',
  "' onmouseover='alert(3)",
];

/** The only elements the pages are built from: anything else came from a string that escaped escaping. */
const OUR_TAGS = new Set(
  'html head meta title link style body a header h1 h2 h3 h4 p main div footer nav script noscript section ul ol li span code strong time article form label input fieldset legend button pre em'.split(
    ' ',
  ),
);

/**
 * Nothing from the corpus survives as markup: every tag is one of ours, no tag carries an event
 * handler once its (always double-quoted, escaped) attribute values are blanked, one script at most.
 */
function expectInert(page: string): void {
  expect(page).not.toMatch(/<script>alert/i);
  for (const tag of page.match(/<\/?[a-zA-Z][^>]*>/g) ?? []) {
    expect(OUR_TAGS, tag).toContain(/^<\/?([a-zA-Z0-9]+)/.exec(tag)?.[1]?.toLowerCase());
    expect(tag.replace(/"[^"]*"/g, '""')).not.toMatch(/\son[a-z]+\s*=/i);
  }
  expect(page.match(/<script>/g)?.length ?? 0).toBeLessThanOrEqual(1);
}

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);

function component(overrides: Partial<PublicComponent> = {}): PublicComponent {
  return {
    id: 'api',
    name: 'Public API',
    status: 'operational',
    position: 0,
    uptimeDays: Array.from({ length: 90 }, (_, i) => ({
      day: new Date(NOW - (89 - i) * DAY).toISOString().slice(0, 10),
      uptime: 1,
      worst: 'operational' as const,
    })),
    uptime: 1,
    checks: [],
    ...overrides,
  };
}

function incident(overrides: Partial<PublicIncident> = {}): PublicIncident {
  return {
    id: 'inc-1',
    name: 'Public API outage',
    status: 'investigating',
    impact: 'major',
    createdAt: NOW - 3_600_000,
    updatedAt: NOW,
    startedAt: NOW - 3_600_000,
    components: ['api'],
    updates: [
      { id: 'inc-1-1', at: NOW, status: 'identified', message: 'A provider issue.', human: true },
      { id: 'inc-1-0', at: NOW - 3_600_000, status: 'investigating', message: 'Public API is down.', human: false },
    ],
    downtime: { atLeastMs: 10_200_000, atMostMs: 14_640_000, final: true },
    ...overrides,
  };
}

function status(overrides: Partial<PublicStatus> = {}): PublicStatus {
  return {
    page: { title: 'Example Status', updatedAt: NOW },
    indicator: 'none',
    description: 'All Systems Operational',
    components: [component()],
    incidents: [],
    maintenances: [],
    ...overrides,
  };
}

describe('status page rendering', () => {
  it('escapes every interpolated value and passes html results through', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${['<', 1]}${undefined}${false}</p>`.value).toBe('<p><b>&lt;i&gt;</b>&lt;1</p>');
  });

  it('writes the state in words: banner, component status, day labels, timeline in UTC, bounds', () => {
    const days = component().uptimeDays;
    const bad = { day: '2026-11-30', uptime: 0.99951, worst: 'partial_outage' as const };
    const page = homePage({
      view: {
        status: status({
          indicator: 'major',
          description: 'Partial System Outage',
          components: [component({ status: 'partial_outage', uptimeDays: [...days.slice(1), bad], group: 'Core' })],
          incidents: [incident()],
        }),
        recent: [],
      },
      subscribe: true,
      refreshMs: 15_000,
    });
    expect(page).toContain('<p class="banner banner-major" id="banner">Partial System Outage</p>');
    expect(page).toContain('<h3>Core</h3>');
    expect(page).toContain('Partial Outage');
    expect(page).toContain('title="2026-11-30: 99.95% up, partial outage"');
    expect(page).toMatch(/<strong>Identified<\/strong> – A provider issue\.[\s\S]*<strong>Investigating<\/strong>/);
    expect(page).toContain('<time datetime="2026-11-30T12:00:00.000Z">Mon, 30 Nov 2026 12:00 UTC</time>');
    expect(page).toContain('Unreachable for at least 2h50 and at most 4h04');
    expect(page).toContain('<input type="email" id="subscribe-email" name="email" required');
    expect(page).toContain('name="components" value="api"');
    expect(page).toContain('<link rel="alternate" type="application/atom+xml" href="/history.atom"');
    expect(page).toContain('data-refresh-ms="15000"');
    expect(page.match(/<h1[ >]/g)).toHaveLength(1);
  });

  it('keeps the XSS corpus inert in every place a user can write', () => {
    for (const evil of XSS) {
      const view = {
        status: status({
          page: { title: evil, description: evil, updatedAt: NOW },
          description: evil,
          components: [
            component({
              name: evil,
              description: evil,
              group: evil,
              checks: [{ id: 'c', name: evil, target: evil, status: 'operational' }],
            }),
          ],
          incidents: [
            incident({
              name: evil,
              updates: [{ id: 'u', at: NOW, status: 'identified', message: evil, human: true }],
            }),
          ],
          maintenances: [
            {
              id: 'm',
              title: evil,
              description: evil,
              status: 'scheduled',
              start: NOW,
              end: NOW + DAY,
              components: ['api'],
            },
          ],
        }),
        recent: [incident({ name: evil })],
      };
      const pages = [
        homePage({ view, subscribe: true, refreshMs: 1_000 }),
        incidentPage({
          site: evil,
          incident: incident({ name: evil, postmortem: { markdown: evil, publishedAt: NOW } }),
          components: view.status.components,
        }),
        historyPage({ site: evil, incidents: [incident({ name: evil })], components: [], page: 2, hasMore: true }),
      ];
      for (const page of pages) {
        expectInert(page);
        expect(page).toContain(escapeHtml(evil));
      }
    }
  });

  it('groups history by UTC day and links the neighbouring pages', () => {
    const page = historyPage({
      site: 'S',
      incidents: [incident({ id: 'b', startedAt: NOW }), incident({ id: 'a', startedAt: NOW - DAY })],
      components: [],
      page: 2,
      hasMore: true,
    });
    expect(page).toMatch(/Mon, 30 Nov 2026[\s\S]*\/incidents\/b[\s\S]*Sun, 29 Nov 2026[\s\S]*\/incidents\/a/);
    expect(page).toContain('href="/history?page=1" rel="prev"');
    expect(page).toContain('href="/history?page=3" rel="next"');
  });
});

describe('status page routes', () => {
  let web: Awaited<ReturnType<typeof testWebApp>>;
  const evil = XSS.join(' ');
  beforeEach(async () => {
    web = await testWebApp({
      vantages: ['alpha', 'beta', 'gamma'],
      components: [{ id: 'api', name: `API ${evil}`.slice(0, 200), description: evil }],
      checks: [{ id: 'api-health', component: 'api', http: { url: 'https://api.example.com/health' } }],
      statusPage: { title: 'Example Status' },
    });
  });
  afterEach(async () => {
    await web.cleanup();
  });

  async function openIncident(incidents: IncidentStore, now: number): Promise<string> {
    const { id } = await incidents.openOrJoin(
      {
        group: 'component:api',
        component: 'api',
        title: 'API is down',
        impact: 'major',
        severity: 'major',
        startedAt: now,
        member: {
          checkId: 'api-health',
          name: 'API health',
          down: true,
          firstFailedRound: now - 60_000,
          lastFailedRound: now,
          vantagesFailing: ['alpha', 'beta'],
          vantagesTotal: 3,
          error: 'connect_refused',
          message: 'connection refused',
        },
        openedMessage: 'API health is failing.',
        joinedMessage: 'API health is failing too.',
      },
      now,
      600_000,
    );
    return id;
  }

  it('serves the page with security headers and an ETag, and 304 when the client has it', async () => {
    const first = await web.app.inject({ method: 'GET', url: '/' });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(first.headers['content-security-policy']).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(first.headers['x-content-type-options']).toBe('nosniff');
    expect(first.headers['referrer-policy']).toBe('no-referrer');
    expect(first.body).toContain('All Systems Operational');
    const etag = String(first.headers.etag);
    const again = await web.app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');

    const live = await web.app.inject({ method: 'GET', url: '/live' });
    expect(live.statusCode).toBe(200);
    expect(first.body).toContain(`data-etag="${escapeHtml(String(live.headers.etag))}"`);
    const live304 = await web.app.inject({
      method: 'GET',
      url: '/live',
      headers: { 'if-none-match': String(live.headers.etag) },
    });
    expect(live304.statusCode).toBe(304);
  });

  it('shows an open incident with its human updates, and keeps their text inert', async () => {
    const id = await openIncident(web.ctx.incidents, web.clock.now());
    for (const message of XSS) {
      web.clock.advance(60_000);
      await web.ctx.incidents.addUpdate(id, { by: 'ana', status: 'identified', message }, web.clock.now());
    }
    await web.ctx.maintenances.create(
      maintenanceSchema.parse({
        id: 'upgrade',
        title: XSS[1],
        description: evil,
        components: ['api'],
        start: new Date(web.clock.now() + 3_600_000).toISOString(),
        end: new Date(web.clock.now() + 7_200_000).toISOString(),
      }),
    );
    web.clock.advance(10_000); // past the reader's cache
    for (const url of ['/', '/live', `/incidents/${id}`, '/history']) {
      const res = await web.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expectInert(res.body);
      if (url !== '/history') for (const message of XSS) expect(res.body, url).toContain(escapeHtml(message));
    }
    const page = await web.app.inject({ method: 'GET', url: '/' });
    expect(page.body).not.toContain('All Systems Operational');
    expect(page.body).toContain('Active incidents');
    expect(page.body).toContain('<strong>Identified</strong>');
    expect(page.body).toContain(escapeHtml(`API ${evil}`.slice(0, 200)));
    const incidentPage = await web.app.inject({ method: 'GET', url: `/incidents/${id}` });
    expect(incidentPage.body).toMatch(/Unreachable for at least \S+ and at most \S+ so far/);
  });

  it('answers an unknown incident with a 404 page and a bad page number with a 400 naming it', async () => {
    const missing = await web.app.inject({ method: 'GET', url: '/incidents/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(missing.body).toContain('Incident not found');
    for (const page of ['0', '-1', 'abc', '1.5', '<script>']) {
      const bad = await web.app.inject({ method: 'GET', url: `/history?page=${encodeURIComponent(page)}` });
      expect(bad.statusCode, page).toBe(400);
      expect(bad.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(bad.body).toContain('page: expected a positive whole number');
    }
    expect((await web.app.inject({ method: 'GET', url: '/history?page=2' })).statusCode).toBe(200);
    expect((await web.app.inject({ method: 'GET', url: '/?refresh=soon' })).statusCode).toBe(400);
  });
});
