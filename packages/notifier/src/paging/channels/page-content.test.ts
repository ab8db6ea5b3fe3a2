import { T0 } from '@vigil/core/testing';
import { describe, expect, it } from 'vitest';
import { renderPage } from './page-content.js';
import {
  LINKS,
  largeIncident,
  pageSequence,
  sampleIncident,
  sampleMember,
  samplePage,
  XSS_CORPUS,
} from './page-fixtures.js';

const ALLOWED_TAGS = new Set([
  'html',
  'body',
  'h2',
  'h3',
  'p',
  'strong',
  'a',
  'table',
  'tr',
  'th',
  'td',
  'ul',
  'li',
  'br',
]);

/** Every tag in the HTML is one the renderer writes, and none carries an event handler or a script URL. */
function expectOnlyOwnMarkup(html: string): void {
  for (const [tag, name] of html.matchAll(/<\/?([a-zA-Z0-9!]+)[^>]*>/g)) {
    if (name === '!doctype') continue;
    expect(ALLOWED_TAGS, tag).toContain(name?.toLowerCase());
    expect(tag).not.toMatch(/\son\w+\s*=/i);
    expect(tag).not.toMatch(/javascript:/i);
  }
}

describe('renderPage', () => {
  it('sums up a trigger in the subject: component, how many of how many, and why', () => {
    const { subject } = renderPage(samplePage());
    expect(subject).toBe('[DOWN] Public API: 2 of 3 checks down — connect_refused');
  });

  it('tells a woken engineer what is down, since when, from where, and how to acknowledge', () => {
    const { text } = renderPage(samplePage());
    expect(text.split('\n')[1]).toBe(`Acknowledge: ${LINKS.ack}`);
    expect(text).toContain('Incident:  Public API is down');
    expect(text).toContain('Component: Public API (api)');
    expect(text).toContain('Severity:  critical (impact major, status investigating)');
    expect(text).toContain('Started:   2026-11-20T12:00:00Z (12m ago)');
    expect(text).toContain('Detected:  2026-11-20T12:01:00Z (11m ago)');
    expect(text).toContain('Checks down (2 of 3):');
    expect(text).toContain('  * API health\n    down since 2026-11-20T12:00:00Z (12m ago)');
    expect(text).toContain('    failing from 2 of 3 vantages: eu-west, us-east');
    expect(text).toContain('    connect_refused: connect ECONNREFUSED 203.0.113.10:443');
    expect(text).toContain('  * API login\n    down since 2026-11-20T12:00:30Z (11m30s ago)');
    expect(text).not.toContain('API docs');
    expect(text).toContain(`Incident page: ${LINKS.incident}`);
    expect(text).toContain(`Status page: ${LINKS.statusPage}`);
    expect(text).toContain('Sent by Vigil to Ana (escalation level 1, cycle 1)');
  });

  it('says who acknowledged', () => {
    const { subject, text } = renderPage(pageSequence().acknowledge);
    expect(subject).toBe('[ACK] Public API: 2 of 3 checks down — connect_refused (acknowledged by Ana)');
    expect(text).toContain('Acknowledged: 2026-11-20T12:05:00Z (7m ago) by Ana');
    expect(text).not.toContain('/ack/');
  });

  it('gives the downtime as bounds on resolve', () => {
    const { subject, text } = renderPage(pageSequence().resolve);
    expect(subject).toBe('[RESOLVED] Public API: 3 checks back up after at least 2h50 and at most 4h04');
    expect(text).toMatch(/Downtime: +at least 2h50 and at most 4h04\n/);
    expect(text).toContain('Checks (3):');
    expect(text).toContain(
      'down from 2026-11-20T12:00:00Z until 2026-11-20T16:03:30Z\n    failed from 2 of 3 vantages',
    );
  });

  it('marks the bounds as provisional while something is still down', () => {
    const { text } = renderPage(samplePage());
    expect(text).toMatch(/Downtime: +at least 10m and at most 12m30s so far/);
  });

  it('names the one check of a single-check incident', () => {
    const incident = sampleIncident({ component: undefined, title: 'API health', members: [sampleMember()] });
    const { subject } = renderPage(samplePage({ incident, componentName: undefined }));
    expect(subject).toBe('[DOWN] API health down — connect_refused');
  });

  it('falls back to the title for an incident without checks (a blind vantage)', () => {
    const incident = sampleIncident({
      title: 'Vantage eu-west reports nothing',
      group: 'vantage:eu-west',
      impact: 'fleet',
      component: undefined,
      members: [],
    });
    const { subject, text, html } = renderPage(samplePage({ incident, componentName: undefined }));
    expect(subject).toBe('[DOWN] Vantage eu-west reports nothing');
    expect(text).not.toContain('Checks');
    expect(html).not.toContain('<ul>');
  });

  it('says degraded for incidents opened on degradation', () => {
    const { subject } = renderPage(samplePage({ incident: sampleIncident({ impact: 'minor', severity: 'minor' }) }));
    expect(subject).toBe('[DEGRADED] Public API: 2 of 3 checks degraded — connect_refused');
  });

  it('lists the most frequent error classes first', () => {
    const members = [
      sampleMember({ error: 'timeout' }),
      sampleMember({ error: 'dns' }),
      sampleMember({ error: 'dns' }),
      sampleMember({ error: 'tls' }),
    ];
    const { subject } = renderPage(samplePage({ incident: sampleIncident({ members }) }));
    expect(subject).toBe('[DOWN] Public API: 4 of 4 checks down — dns, timeout +1 more');
  });

  it('lists the first 20 checks then says how many more, in text and HTML', () => {
    const { subject, text, html } = renderPage(samplePage({ incident: largeIncident(200) }));
    expect(subject).toBe('[DOWN] Public API: 200 of 200 checks down — connect_refused');
    expect(text).toContain('  * App 19\n');
    expect(text).not.toContain('App 20\n');
    expect(text).toContain('  and 180 more\n');
    expect(html.match(/<li>/g)).toHaveLength(20);
    expect(html).toContain('<p>and 180 more</p>');
  });

  it('keeps a long probe message from burying the page', () => {
    const members = [sampleMember({ message: 'x'.repeat(2000) })];
    const { text } = renderPage(samplePage({ incident: sampleIncident({ members }) }));
    expect(text).toContain(`connect_refused: ${'x'.repeat(299)}…\n`);
  });

  it('renders the same facts as HTML with working links', () => {
    const { html } = renderPage(samplePage());
    expect(html).toContain(`<a href="${LINKS.ack}">Acknowledge</a>`);
    expect(html).toContain(`<a href="${LINKS.incident}">Incident page</a>`);
    expect(html).toContain(`<a href="${LINKS.statusPage}">Status page</a>`);
    expect(html).toContain('<li><strong>API health</strong><br>down since 2026-11-20T12:00:00Z (12m ago)<br>');
    expectOnlyOwnMarkup(html);
  });

  it.each(XSS_CORPUS)('escapes %s wherever user text appears in the HTML', (payload) => {
    const incident = sampleIncident({
      title: payload,
      component: payload,
      acknowledgedAt: T0,
      acknowledgedBy: payload,
      members: [sampleMember({ name: payload, message: payload, vantagesFailing: [payload] })],
    });
    const page = samplePage({ incident, componentName: payload, recipient: { id: 'x', name: payload } });
    const { html, text, subject } = renderPage(page);
    if (/[<>"']/.test(payload)) expect(html).not.toContain(payload);
    expectOnlyOwnMarkup(html);
    expect(text).toContain(payload);
    expect(subject).toContain(payload);
  });

  it('never turns a non-web link into an href', () => {
    const page = samplePage({ links: { ack: 'javascript:alert(1)', statusPage: 'data:text/html,<script>x</script>' } });
    const { html } = renderPage(page);
    expect(html).not.toContain('href="javascript:');
    expect(html).not.toContain('href="data:');
    expectOnlyOwnMarkup(html);
  });

  it('keeps a check name with newlines on one line', () => {
    const members = [sampleMember({ name: 'API\nX-Injected: yes' })];
    const { subject, text } = renderPage(samplePage({ incident: sampleIncident({ members, component: undefined }) }));
    expect(subject).not.toContain('\n');
    expect(text).toContain('  * API X-Injected: yes\n');
  });
});

describe('renderPage: an address down while its name answers', () => {
  it('names the address, how many vantages fail it and since when', () => {
    const member = sampleMember({
      firstFailedRound: T0,
      addresses: [{ address: '5.104.101.30', since: T0, vantagesFailing: ['a', 'b', 'c'], vantagesTotal: 3 }],
    });
    const { text, html } = renderPage(samplePage({ incident: sampleIncident({ members: [member] }) }));
    expect(text).toContain('address 5.104.101.30 failing from 3 of 3 vantages since 2026-11-20T12:00:00Z');
    expect(html).toContain('address 5.104.101.30 failing from 3 of 3 vantages');
  });
});
