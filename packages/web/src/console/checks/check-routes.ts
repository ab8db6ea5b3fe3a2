import { checkToInput, isVigilError, slugSchema, VigilError } from '@vigil/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isMap, parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { httpStatusOf } from '../../api/api-error.js';
import { hasScope, requireScope } from '../../api/auth.js';
import { latencyQuery, readLatencyChart } from '../../api/latency-chart.js';
import { changeableCheck } from '../../api/ownership.js';
import { deleteCheck, replaceCheck, setCheckPaused } from '../../api/routes/checks.js';
import { type ConsolePageDeps, formFields, parseInput } from '../page-deps.js';
import { requireAction, requirePage, type Signed } from '../session/console-session.js';
import { checkBody, checkEditBody } from '../view/check.js';
import { CONSOLE_HEADERS } from '../view/layout.js';
import { readCheckPage } from './check-page.js';

const checkParams = z.strictObject({ id: slugSchema });
/** A definition longer than this is refused before it is parsed. */
const MAX_DEFINITION = 64 * 1024;

const definitionError = (message: string) =>
  new VigilError('VALIDATION', `definition: ${message}`, [{ path: 'definition', message }]);

/** The edit form's YAML as the API's PUT body: a mapping of a check's fields; a syntax error says where. */
function parseDefinition(text: string): Record<string, unknown> {
  if (text.length > MAX_DEFINITION) throw definitionError(`expected at most ${MAX_DEFINITION} characters`);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const [problem] = doc.errors;
  if (problem) throw definitionError(`not valid YAML: ${problem.message}`);
  if (!isMap(doc.contents))
    throw definitionError("expected a YAML mapping of the check's fields (name, interval, http, …)");
  try {
    return doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  } catch {
    // yaml refuses aliases that expand past the count (a resource exhaustion attack), with a ReferenceError.
    throw definitionError('too many aliases (*name) expanded; write the values out');
  }
}

/** `/console/checks/:id`: the check page, its latency JSON, and edit / pause / resume / delete through the API's rules. */
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

  const editPage = (
    reply: FastifyReply,
    signed: Signed,
    form: { id: string; definition: string; error?: string },
    status = 200,
  ) =>
    send(
      reply,
      assets,
      { title: `Edit ${form.id}`, body: checkEditBody({ ...form, csrf: signed.session.csrf }), signed },
      status,
    );

  app.get('/console/checks/:id/edit', async (request, reply) => {
    const signed = await requirePage(ctx, sessions, request, reply);
    if (!signed) return reply;
    const { id } = parseInput(checkParams, request.params);
    requireScope(signed.token, 'write');
    const check = await changeableCheck(ctx, signed.token, id);
    return editPage(reply, signed, { id, definition: stringify(checkToInput(check)) });
  });

  app.post('/console/checks/:id/edit', async (request, reply) => {
    const signed = await requireAction(ctx, sessions, request, reply);
    const { id } = parseInput(checkParams, request.params);
    requireScope(signed.token, 'write');
    // An edit changes a check the identity may change; it never creates one (the API's PUT may).
    const current = await changeableCheck(ctx, signed.token, id);
    const given = formFields(request).definition;
    const definition = typeof given === 'string' ? given : '';
    try {
      await replaceCheck(ctx, signed.token, current, parseDefinition(definition));
    } catch (error) {
      if (!isVigilError(error) || error.code === 'NOT_FOUND') throw error;
      return editPage(reply, signed, { id, definition, error: error.message }, httpStatusOf(error.code));
    }
    return reply.code(303).header('location', `/console/checks/${id}`).send();
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
