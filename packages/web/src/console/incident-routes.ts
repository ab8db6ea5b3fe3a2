import { isVigilError, validationError } from '@vigil/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { httpStatusOf } from '../api/api-error.js';
import { hasScope, requireScope } from '../api/auth.js';
import { incidentFilter, visibleIncident } from '../api/ownership.js';
import {
  acknowledgeIncident,
  changeIncidentStatus,
  postIncidentUpdate,
  postmortemBody,
  postmortemView,
  resolveIncident,
  statusBody,
  updateBody,
  writePostmortem,
} from '../api/routes/incidents.js';
import { renderMarkdown } from '../status/markdown.js';
import { type ConsolePageDeps, formFields, parseInput } from './page-deps.js';
import { requireAction, requirePage, type Signed } from './session/console-session.js';
import { type IncidentForm, incidentBody, incidentListBody } from './view/incidents.js';

const incidentParams = z.strictObject({
  id: z.string().regex(/^[0-9]{1,12}$/, { error: 'expected an incident number' }),
});

/** The page's forms: each parses with the API's body schema, then calls the API's use case `via console`. */
type FormAction = (signed: Signed, id: string, fields: Record<string, string>) => Promise<unknown>;

/** `/console/incidents`: the open list, one incident's page, and its actions through the API's use cases. */
export function registerIncidents(app: FastifyInstance, deps: ConsolePageDeps): void {
  const { ctx, sessions, assets, send } = deps;

  const page = async (
    reply: FastifyReply,
    signed: Signed,
    shown: { id: string; form?: IncidentForm; status?: number },
  ) => {
    const { id, form, status = 200 } = shown;
    const incident = await visibleIncident(ctx, signed.token, id);
    const postmortem = await ctx.incidents.getPostmortem(id);
    const body = incidentBody({
      incident,
      now: ctx.clock.now(),
      csrf: signed.session.csrf,
      mayAct: hasScope(signed.token, 'write'),
      postmortem: postmortem && postmortemView(postmortem),
      form,
    });
    return send(reply, assets, { title: `Incident #${incident.id}`, body, signed }, status);
  };

  app.get('/console/incidents', async (request, reply) => {
    const signed = await requirePage(ctx, sessions, request, reply);
    if (!signed) return reply;
    const visible = await incidentFilter(ctx, signed.token);
    const open = (await ctx.incidents.listOpen()).filter(visible);
    return send(reply, assets, { title: 'Incidents', body: incidentListBody(open), signed });
  });

  app.get('/console/incidents/:id', async (request, reply) => {
    const signed = await requirePage(ctx, sessions, request, reply);
    if (!signed) return reply;
    return page(reply, signed, { id: parseInput(incidentParams, request.params).id });
  });

  const buttons = {
    ack: (signed: Signed, id: string) => acknowledgeIncident(ctx, signed.token, id, { via: 'console' }),
    resolve: (signed: Signed, id: string) => resolveIncident(ctx, signed.token, id, { via: 'console' }),
  };
  for (const [name, act] of Object.entries(buttons)) {
    app.post(`/console/incidents/:id/${name}`, async (request, reply) => {
      const signed = await requireAction(ctx, sessions, request, reply);
      const id = parseInput(incidentParams, request.params).id;
      // The API's rules: a write scope, then the incident must be one the identity may see.
      requireScope(signed.token, 'write');
      await act(signed, id);
      return reply.code(303).header('location', `/console/incidents/${id}`).send();
    });
  }

  const forms: Record<string, { form: IncidentForm['name']; act: FormAction }> = {
    updates: {
      form: 'update',
      act: (signed, id, fields) =>
        postIncidentUpdate(ctx, signed.token, id, { ...parseInput(updateBody, fields), via: 'console' }),
    },
    status: {
      form: 'status',
      act: (signed, id, { message, ...fields }) => {
        const body = parseInput(statusBody, { ...fields, ...(message?.trim() && { message }) });
        return changeIncidentStatus(ctx, signed.token, id, { ...body, via: 'console' });
      },
    },
    postmortem: {
      form: 'postmortem',
      act: (signed, id, fields) =>
        writePostmortem(ctx, signed.token, id, {
          markdown: parseInput(postmortemBody, fields).markdown,
          via: 'console',
        }),
    },
  };
  for (const [path, { form, act }] of Object.entries(forms)) {
    app.post(`/console/incidents/:id/${path}`, async (request, reply) => {
      const signed = await requireAction(ctx, sessions, request, reply);
      const id = parseInput(incidentParams, request.params).id;
      requireScope(signed.token, 'write');
      const values = formFields(request);
      try {
        await act(signed, id, values);
      } catch (error) {
        // Bad input (or a refusal naming a field): the page again, the form as typed, the error named.
        if (!isVigilError(error) || error.code === 'NOT_FOUND') throw error;
        const failed = { name: form, values, error: error.message };
        return page(reply, signed, { id, form: failed, status: httpStatusOf(error.code) });
      }
      return reply.code(303).header('location', `/console/incidents/${id}`).send();
    });
  }

  // A preview changes nothing; it still takes the CSRF token and the write scope, as the form it belongs to.
  app.post('/console/incidents/:id/postmortem/preview', async (request, reply) => {
    const signed = await requireAction(ctx, sessions, request, reply);
    const id = parseInput(incidentParams, request.params).id;
    requireScope(signed.token, 'write');
    const values = formFields(request);
    const parsed = postmortemBody.safeParse(values);
    if (!parsed.success) {
      const error = validationError(parsed.error, values);
      return page(reply, signed, { id, form: { name: 'postmortem', values, error: error.message }, status: 400 });
    }
    const preview = renderMarkdown(parsed.data.markdown);
    return page(reply, signed, { id, form: { name: 'postmortem', values, preview } });
  });
}
