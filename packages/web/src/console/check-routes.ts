import { slugSchema } from '@vigil/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { hasScope, requireScope } from '../api/auth.js';
import { latencyQuery, readLatencyChart } from '../api/latency-chart.js';
import { deleteCheck, setCheckPaused } from '../api/routes/checks.js';
import { readCheckPage } from './check-page.js';
import { requireAction, requirePage, type Signed } from './console-session.js';
import { type ConsolePageDeps, parseInput } from './page-deps.js';
import { checkBody } from './view/check.js';
import { CONSOLE_HEADERS } from './view/layout.js';

const checkParams = z.strictObject({ id: slugSchema });

/** `/console/checks/:id`: the check page, its latency JSON, and pause / resume / delete through the API's rules. */
export function registerCheckPage(app: FastifyInstance, deps: ConsolePageDeps): void {
  const { ctx, sessions, assets, send } = deps;
  app.get('/console/checks/:id', async (request, reply) => {
    const signed = await requirePage(ctx, sessions, request, reply);
    if (!signed) return reply;
    const { id } = parseInput(checkParams, request.params);
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
    const { id } = parseInput(checkParams, request.params);
    const { range } = parseInput(latencyQuery, request.query);
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
      const { id } = parseInput(checkParams, request.params);
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
