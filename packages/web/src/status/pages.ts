import { STATUS_MEMO_MS, TimedMemo } from '@vigil/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebContext } from '../context.js';
import { etagOf, sendCached } from './http-cache.js';
import { renderMarkdown } from './markdown.js';
import { trusted } from './page/escape.js';
import { historyPage } from './page/history-page.js';
import { homePage, type LiveView, liveFragment } from './page/home.js';
import { errorPage, incidentPage } from './page/incident-page.js';
import { PAGE_HEADERS } from './page/layout.js';

const HTML = 'text/html; charset=utf-8';
const HISTORY_PER_PAGE = 20;
/** How far back "Recently resolved" looks, and how many incidents it reads to find them. */
const RECENT_MS = 7 * 86_400_000;
const RECENT_LIMIT = 10;
/** The refresh script's period: 15 s by default; `?refresh=` may shorten it, never below a second. */
const REFRESH_MS = { default: 15_000, min: 1_000, max: 3_600_000 };

/** A positive whole number from a query string, `undefined` when absent, `null` when malformed. */
function positiveInt(value: unknown): number | undefined | null {
  if (value === undefined) return undefined;
  return typeof value === 'string' && /^[1-9][0-9]{0,8}$/.test(value) ? Number(value) : null;
}

function sendPage(request: FastifyRequest, reply: FastifyReply, page: string | Rendered): FastifyReply {
  const content = typeof page === 'string' ? { body: page } : page;
  return sendCached(request, reply.headers(PAGE_HEADERS), { ...content, type: HTML });
}

interface Rendered {
  body: string;
  etag: string;
}

/**
 * Renders once per view (the view itself is shared for STATUS_MEMO_MS) and variant: a crowd polling
 * the page costs a lookup and a 304, not a render and a hash each.
 */
function renderedOnce<K>(render: (view: LiveView, variant: K) => string) {
  const cache = new WeakMap<LiveView, Map<K, Rendered>>();
  return (view: LiveView, variant: K): Rendered => {
    let variants = cache.get(view);
    if (!variants) {
      variants = new Map();
      cache.set(view, variants);
    }
    let rendered = variants.get(variant);
    if (!rendered) {
      const body = render(view, variant);
      rendered = { body, etag: etagOf(body) };
      variants.set(variant, rendered);
    }
    return rendered;
  };
}

/** Registers the HTML status page, incident pages and history. */
export function registerPages(app: FastifyInstance, ctx: WebContext): void {
  const reader = ctx.publicStatus;
  const site = ctx.config.statusPage.title;

  const sendError = (reply: FastifyReply, code: 400 | 404, error: { title: string; message: string }) =>
    reply
      .code(code)
      .headers(PAGE_HEADERS)
      .header('cache-control', 'no-store')
      .type(HTML)
      .send(errorPage({ site, ...error }));

  const badQuery = (reply: FastifyReply, name: string) =>
    sendError(reply, 400, { title: 'Bad request', message: `${name}: expected a positive whole number` });

  // The reader shares status() for the period; this shares it together with the recent history, so
  // the two always come from the same moment and a crowd polling /live costs one read per period.
  const liveMemo = new TimedMemo({ ttlMs: STATUS_MEMO_MS });
  const readLiveView = async (): Promise<LiveView> => {
    const [status, history] = await Promise.all([reader.status(), reader.history({ page: 1, perPage: RECENT_LIMIT })]);
    const since = ctx.clock.now() - RECENT_MS;
    const recent = history.incidents.filter(
      (incident) => incident.resolvedAt !== undefined && incident.resolvedAt >= since,
    );
    return { status, recent };
  };
  const liveView = () => liveMemo.get('live', ctx.clock.now(), readLiveView);

  const home = renderedOnce((view, refreshMs: number) =>
    homePage({ view, subscribe: ctx.config.statusPage.subscribers.enabled, refreshMs }),
  );
  const live = renderedOnce((view, _: 'live') => liveFragment(view).value);

  app.get('/', async (request, reply) => {
    const refresh = positiveInt((request.query as Record<string, unknown>).refresh);
    if (refresh === null) return badQuery(reply, 'refresh');
    const refreshMs = Math.min(REFRESH_MS.max, Math.max(REFRESH_MS.min, refresh ?? REFRESH_MS.default));
    return sendPage(request, reply, home(await liveView(), refreshMs));
  });

  app.get('/live', async (request, reply) => sendPage(request, reply, live(await liveView(), 'live')));

  app.get<{ Params: { id: string } }>('/incidents/:id', async (request, reply) => {
    const incident = await reader.incident(request.params.id);
    if (!incident) {
      return sendError(reply, 404, {
        title: 'Incident not found',
        message: 'There is no public incident with this id.',
      });
    }
    const { components } = await reader.status();
    const markdown = (source: string) => trusted(renderMarkdown(source));
    return sendPage(request, reply, incidentPage({ site, incident, components, markdown }));
  });

  app.get('/history', async (request, reply) => {
    const page = positiveInt((request.query as Record<string, unknown>).page);
    if (page === null) return badQuery(reply, 'page');
    const current = page ?? 1;
    const [history, status] = await Promise.all([
      reader.history({ page: current, perPage: HISTORY_PER_PAGE }),
      reader.status(),
    ]);
    const body = historyPage({
      site,
      incidents: history.incidents,
      components: status.components,
      page: current,
      hasMore: history.hasMore,
    });
    return sendPage(request, reply, body);
  });
}
