import { slugSchema, validationError } from '@vigil/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { hasScope, requireScope } from '../api/auth.js';
import { deleteCheck, setCheckPaused } from '../api/routes/checks.js';
import type { WebContext } from '../context.js';
import type { SafeHtml } from '../status/page/escape.js';
import type { ConsoleAssets } from './assets.js';
import { CHART_RANGES, readCheckPage, readLatencyChart } from './check-page.js';
import { requireAction, requirePage, type Signed } from './console-session.js';
import type { SessionStore } from './session-store.js';
import { checkBody } from './view/check.js';
import { CONSOLE_HEADERS } from './view/layout.js';

const checkParams = z.strictObject({ id: slugSchema });
const chartQuery = z.strictObject({
  range: z.enum(Object.keys(CHART_RANGES) as [keyof typeof CHART_RANGES]).default('1h'),
});

function parse<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) throw validationError(parsed.error, raw);
  return parsed.data;
}

export interface CheckPageDeps {
  ctx: WebContext;
  sessions: SessionStore;
  assets: ConsoleAssets;
  /** The console's page sender (layout, headers, who is signed in). */
  send: (
    reply: FastifyReply,
    assets: ConsoleAssets,
    content: { title: string; body: SafeHtml; signed: Signed },
  ) => FastifyReply;
}

/** `/console/checks/:id`: the check page, its latency JSON, and pause / resume / delete through the API's rules. */
export function registerCheckPage(app: FastifyInstance, deps: CheckPageDeps): void {
  const { ctx, sessions, assets, send } = deps;
  app.get('/console/checks/:id', async (request, reply) => {
    const signed = await requirePage(ctx, sessions, request, reply);
    if (!signed) return reply;
    const { id } = parse(checkParams, request.params);
    const page = await readCheckPage(ctx, signed.token, id);
    const body = checkBody({
      page,
      csrf: signed.session.csrf,
      mayAct: hasScope(signed.token, 'write'),
      scripts: [assets.uplot.url, assets.checkPage.url],
    });
    return send(reply, assets, { title: page.check.name, body, signed });
  });

  app.get('/console/checks/:id/latency', async (request, reply) => {
    const signed = await requirePage(ctx, sessions, request, reply);
    if (!signed) return reply;
    const { id } = parse(checkParams, request.params);
    const { range } = parse(chartQuery, request.query);
    const chart = await readLatencyChart(ctx, signed.token, id, range);
    return reply.headers(CONSOLE_HEADERS).type('application/json; charset=utf-8').send(chart);
  });

  const actions = {
    pause: (signed: Signed, id: string) => setCheckPaused(ctx, signed.token, id, true),
    resume: (signed: Signed, id: string) => setCheckPaused(ctx, signed.token, id, false),
    delete: (signed: Signed, id: string) => deleteCheck(ctx, signed.token, id),
  };
  for (const [name, act] of Object.entries(actions)) {
    app.post(`/console/checks/:id/${name}`, async (request, reply) => {
      const signed = await requireAction(ctx, sessions, request, reply);
      const { id } = parse(checkParams, request.params);
      // The API's rules: a write scope, then a check the identity may see and change.
      requireScope(signed.token, 'write');
      await act(signed, id);
      return reply
        .code(303)
        .header('location', name === 'delete' ? '/console' : `/console/checks/${id}`)
        .send();
    });
  }
}
