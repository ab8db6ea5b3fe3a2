import type { PublicIncident, PublicIncidentStatus } from '@vigil/core';
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.js';
import { publicBaseUrl } from './base-url.js';
import { sendCached } from './http-cache.js';

/** Incidents read for the feed, and entries kept: readers want the recent story, not all of it. */
const FEED_INCIDENTS = 50;
const FEED_ENTRIES = 100;

const STATUS_LABEL: Record<PublicIncidentStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  postmortem: 'Postmortem',
};

/** One incident update as a feed item. */
interface FeedEntry {
  id: string;
  title: string;
  link: string;
  at: number;
  text: string;
}

interface Feed {
  title: string;
  baseUrl: string;
  updatedAt: number;
  entries: FeedEntry[];
}

/** Whether XML 1.0 can carry a code point at all (tab, newline and return are the only C0 controls it takes). */
function xmlCarries(code: number): boolean {
  if (code < 0x20) return code === 0x9 || code === 0xa || code === 0xd;
  // Lone surrogates (a pair iterates as one code point above U+FFFF) and U+FFFE/U+FFFF are not characters.
  return !(code >= 0xd800 && code <= 0xdfff) && code !== 0xfffe && code !== 0xffff;
}

/**
 * Text for an XML element or attribute: characters XML cannot carry even as references are dropped,
 * then markup escaped, `>` too, so `]]>` never appears in text.
 */
export function xmlEscape(text: string): string {
  let carried = '';
  for (const char of text) if (xmlCarries(char.codePointAt(0) ?? 0)) carried += char;
  return carried
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** Entry ids are tag: URIs (RFC 4151) minted from the page's host, so they never change once published. */
function entriesOf(incidents: readonly PublicIncident[], baseUrl: string): FeedEntry[] {
  const authority = new URL(baseUrl).hostname;
  const entries = incidents.flatMap((incident) =>
    incident.updates.map((update) => ({
      id: `tag:${authority},${iso(incident.createdAt).slice(0, 10)}:incident-update:${update.id}`,
      title: `${incident.name}: ${STATUS_LABEL[update.status]}`,
      link: `${baseUrl}/incidents/${encodeURIComponent(incident.id)}`,
      at: update.at,
      text: update.message,
    })),
  );
  return entries.sort((a, b) => b.at - a.at).slice(0, FEED_ENTRIES);
}

function atom(feed: Feed): string {
  const e = xmlEscape;
  const entries = feed.entries.map(
    (entry) => `  <entry>
    <id>${e(entry.id)}</id>
    <title type="text">${e(entry.title)}</title>
    <updated>${iso(entry.at)}</updated>
    <published>${iso(entry.at)}</published>
    <link rel="alternate" type="text/html" href="${e(entry.link)}"/>
    <content type="text">${e(entry.text)}</content>
  </entry>
`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${e(`${feed.baseUrl}/history.atom`)}</id>
  <title type="text">${e(`${feed.title}: incident history`)}</title>
  <updated>${iso(feed.updatedAt)}</updated>
  <author><name>${e(feed.title)}</name></author>
  <link rel="alternate" type="text/html" href="${e(`${feed.baseUrl}/`)}"/>
  <link rel="self" type="application/atom+xml" href="${e(`${feed.baseUrl}/history.atom`)}"/>
${entries.join('')}</feed>
`;
}

function rss(feed: Feed): string {
  const e = xmlEscape;
  const items = feed.entries.map(
    (entry) => `    <item>
      <guid isPermaLink="false">${e(entry.id)}</guid>
      <title>${e(entry.title)}</title>
      <link>${e(entry.link)}</link>
      <pubDate>${new Date(entry.at).toUTCString()}</pubDate>
      <description>${e(entry.text)}</description>
    </item>
`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>${e(`${feed.title}: incident history`)}</title>
    <link>${e(`${feed.baseUrl}/`)}</link>
    <description>${e(`Incident updates from ${feed.title}`)}</description>
    <lastBuildDate>${new Date(feed.updatedAt).toUTCString()}</lastBuildDate>
${items.join('')}  </channel>
</rss>
`;
}

async function readFeed(ctx: WebContext, baseUrl: string): Promise<Feed> {
  const reader = ctx.publicStatus;
  const [status, incidents] = await Promise.all([reader.status(), reader.incidentsForFeed(FEED_INCIDENTS)]);
  const entries = entriesOf(incidents, baseUrl);
  // An empty feed is as old as the page; otherwise it is as new as its newest entry.
  return { title: status.page.title, baseUrl, updatedAt: entries[0]?.at ?? status.page.updatedAt, entries };
}

/** Registers /history.atom (and /history.rss for readers that only speak RSS): every public incident update. */
export function registerFeed(app: FastifyInstance, ctx: WebContext): void {
  const formats = [
    { path: '/history.atom', type: 'application/atom+xml; charset=utf-8', render: atom },
    { path: '/history.rss', type: 'application/rss+xml; charset=utf-8', render: rss },
  ];
  for (const { path, type, render } of formats) {
    app.get(path, async (request, reply) => {
      const feed = await readFeed(ctx, publicBaseUrl(request, ctx));
      return sendCached(request, reply, { body: render(feed), type });
    });
  }
}
