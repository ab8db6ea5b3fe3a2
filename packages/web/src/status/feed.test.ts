import type { OpenRequest } from '@vigil/core';
import { incidentMemberFixture, openRequestFixture } from '@vigil/core/testing';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testWebApp } from '../testing.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const MIN = 60_000;
/** Markup, CDATA ends, entities, controls XML 1.0 cannot carry, and an attribute breakout. */
const XSS = '<script>alert(1)</script> ]]> &amp; \u0001\u000b\u001f "><img src=x onerror=alert(1)> 😀';
/** What a reader can get back: the same text without the controls XML forbids. */
const XSS_AS_TEXT = [...XSS].filter((char) => char >= ' ').join('');
/** Whether a document holds a C0 control other than tab, newline and return, raw or as a reference. */
function hasForbiddenControl(xml: string): boolean {
  const allowed = (code: number) => code >= 0x20 || code === 0x9 || code === 0xa || code === 0xd;
  const raw = [...xml].some((char) => !allowed(char.codePointAt(0) ?? 0));
  const referenced = [...xml.matchAll(/&#(x[0-9a-f]+|\d+);/gi)].some(([, ref = '']) => {
    const code = /^x/i.test(ref) ? Number.parseInt(ref.slice(1), 16) : Number(ref);
    return !allowed(code);
  });
  return raw || referenced;
}

const CONFIG = {
  vantages: ['alpha', 'beta'],
  components: [
    { id: 'api', name: `API ${XSS}` },
    { id: 'db', name: 'Internal database' },
  ],
  checks: [
    { id: 'api-health', component: 'api', http: { url: 'https://api.internal.example.com/health' } },
    { id: 'db-main', component: 'db', tcp: { host: 'db.internal.example.net', port: 5432 } },
  ],
  statusPage: { title: `Example ${XSS}`, url: 'https://status.example.com/', components: ['api'] },
};

const member = (checkId: string) =>
  incidentMemberFixture(checkId, NOW - 30 * MIN, {
    lastFailedRound: NOW - 20 * MIN,
    lastGoodBefore: NOW - 31 * MIN,
    vantagesFailing: ['alpha'],
  });

const request = (checkId: string, overrides: Partial<OpenRequest> = {}) =>
  openRequestFixture(checkId, NOW - 30 * MIN, {
    member: member(checkId),
    openedMessage: `${checkId} is failing from alpha: connect_refused.`,
    ...overrides,
  });

type Text = { '#text'?: string; '@_type'?: string };
interface AtomEntry {
  id: string;
  title: Text;
  updated: string;
  link: { '@_href': string }[];
  content: Text;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  trimValues: false,
  parseTagValue: false,
  isArray: (name) => name === 'entry' || name === 'link' || name === 'item',
});

describe('incident history feed', () => {
  let web: Awaited<ReturnType<typeof testWebApp>>;
  let incidentId: string;

  beforeAll(async () => {
    web = await testWebApp(CONFIG);
    const { incidents } = web.ctx;
    ({ id: incidentId } = await incidents.openOrJoin(request('api-health'), NOW - 29 * MIN, 10 * MIN));
    await incidents.addUpdate(incidentId, { by: 'ana', status: 'identified', message: XSS }, NOW - 25 * MIN);
    await incidents.memberRecovered(
      incidentId,
      {
        checkId: 'api-health',
        firstGoodAfter: NOW - 19 * MIN,
        lastFailedRound: NOW - 20 * MIN,
        partialMessage: '%d still down',
        resolvedMessage: 'api-health is up again.',
      },
      NOW - 18 * MIN,
    );
    await incidents.openOrJoin(request('db-main', { group: 'check:db-main', component: 'db' }), NOW - 10 * MIN, 0);
    await incidents.openOrJoin(request('alpha', { group: 'vantage:alpha', impact: 'fleet' }), NOW - 5 * MIN, 0);
  });
  afterAll(() => web.cleanup());

  async function feed() {
    const response = await web.app.inject({ method: 'GET', url: '/history.atom' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    expect(XMLValidator.validate(response.body)).toBe(true);
    expect(hasForbiddenControl(response.body)).toBe(false);
    return {
      response,
      feed: parser.parse(response.body).feed as { updated: string; entry: AtomEntry[] } & Record<string, unknown>,
    };
  }

  it('has one entry per public update, newest first, linking to the incident page', async () => {
    const { feed: atom } = await feed();
    expect(atom['@_xmlns']).toBe('http://www.w3.org/2005/Atom');
    const entries = atom.entry;
    expect(entries.map((entry) => entry.title['#text'])).toEqual([
      `API ${XSS_AS_TEXT} outage: Resolved`,
      `API ${XSS_AS_TEXT} outage: Identified`,
      `API ${XSS_AS_TEXT} outage: Investigating`,
    ]);
    expect(entries.map((entry) => entry.updated)).toEqual([
      new Date(NOW - 18 * MIN).toISOString(),
      new Date(NOW - 25 * MIN).toISOString(),
      new Date(NOW - 29 * MIN).toISOString(),
    ]);
    expect(atom.updated).toBe(new Date(NOW - 18 * MIN).toISOString());
    for (const entry of entries) {
      expect(entry.id).toMatch(/^tag:status\.example\.com,\d{4}-\d{2}-\d{2}:/);
      expect(entry.link[0]?.['@_href']).toBe(`https://status.example.com/incidents/${incidentId}`);
    }
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(entries.length);
    expect(entries[0]?.content['#text']).toMatch(
      /^API .* is working normally again\. It was unavailable for at least 10m and at most 12m\.$/,
    );
  });

  it('carries hostile text as text: it parses back to what was written, and no markup leaks', async () => {
    const { response, feed: atom } = await feed();
    expect(atom.entry[1]?.content).toEqual({ '#text': XSS_AS_TEXT, '@_type': 'text' });
    expect(response.body).not.toContain('<script>');
    expect(response.body).not.toContain('<img');
    expect(response.body).not.toMatch(/\]\]>/);
  });

  it('leaves out fleet and private incidents and internal names', async () => {
    const { response } = await feed();
    for (const word of ['db-main', 'Internal database', 'alpha', 'api-health', 'api.internal', 'connect_refused']) {
      expect(response.body).not.toContain(word);
    }
  });

  it('answers a matching If-None-Match with 304', async () => {
    const { response } = await feed();
    const again = await web.app.inject({
      method: 'GET',
      url: '/history.atom',
      headers: { 'if-none-match': String(response.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
  });

  it('offers the same entries as RSS 2.0', async () => {
    const response = await web.app.inject({ method: 'GET', url: '/history.rss' });
    expect(response.headers['content-type']).toBe('application/rss+xml; charset=utf-8');
    expect(XMLValidator.validate(response.body)).toBe(true);
    const items = parser.parse(response.body).rss.channel.item as { title: string; description: string }[];
    expect(items).toHaveLength(3);
    expect(items[1]?.description).toBe(XSS_AS_TEXT);
  });
});
