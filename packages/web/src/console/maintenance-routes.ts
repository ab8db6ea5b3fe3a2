import { isVigilError, maintenanceSchema, maintenanceToInput, slugSchema, validationError } from '@vigil/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { httpStatusOf } from '../api/api-error.js';
import { hasScope, requireScope } from '../api/auth.js';
import {
  cancelMaintenance,
  createMaintenance,
  listMaintenances,
  putMaintenance,
  storedMaintenance,
} from '../api/routes/maintenances.js';
import { type ConsolePageDeps, formFields, parseInput } from './page-deps.js';
import { requireAction, requirePage, type Signed } from './session/console-session.js';
import { type MaintenanceForm, maintenanceFormBody, maintenancesBody } from './view/maintenances.js';

const maintenanceParams = z.strictObject({ id: slugSchema });

/** The form as the API's maintenance body: lists split on commas, empty optional fields left out. */
function maintenanceInput(fields: Record<string, string>): Record<string, unknown> {
  const given = (name: string) => {
    const value = fields[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const list = (name: string) => (fields[name] ?? '').split(/[\s,]+/).filter((id) => id !== '');
  const every = given('every');
  const timezone = given('timezone');
  return {
    ...(given('id') !== undefined && { id: given('id') }),
    title: fields.title?.trim() ?? '',
    ...(given('description') !== undefined && { description: given('description') }),
    checks: list('checks'),
    components: list('components'),
    start: given('start'),
    ...(given('end') !== undefined && { end: given('end') }),
    ...(every !== undefined && {
      recurring: { every, duration: given('duration'), ...(timezone !== undefined && { timezone }) },
    }),
  };
}

/** The stored maintenance as the form shows it: the fields the API takes, as text. */
function formValues(input: ReturnType<typeof maintenanceToInput>): Record<string, string> {
  const { recurring } = input;
  return {
    title: input.title,
    description: input.description ?? '',
    checks: (input.checks ?? []).join(', '),
    components: (input.components ?? []).join(', '),
    start: String(input.start),
    end: input.end === undefined ? '' : String(input.end),
    every: recurring ? String(recurring.every) : '',
    duration: recurring ? String(recurring.duration) : '',
    timezone: recurring?.timezone ?? '',
  };
}

/** `/console/maintenances`: list, schedule, edit and cancel through the API's maintenance use cases. */
export function registerMaintenances(app: FastifyInstance, deps: ConsolePageDeps): void {
  const { ctx, sessions, assets, send } = deps;

  const listPage = async (reply: FastifyReply, signed: Signed, form?: MaintenanceForm, status = 200) => {
    const { items } = await listMaintenances(ctx, signed.token, {});
    const body = maintenancesBody({
      items,
      csrf: signed.session.csrf,
      mayAct: hasScope(signed.token, 'write'),
      form,
    });
    return send(reply, assets, { title: 'Maintenances', body, signed }, status);
  };
  const editPage = (reply: FastifyReply, signed: Signed, form: MaintenanceForm, status = 200) =>
    send(
      reply,
      assets,
      { title: `Edit ${form.editing}`, body: maintenanceFormBody(form, signed.session.csrf), signed },
      status,
    );

  app.get('/console/maintenances', async (request, reply) => {
    const signed = await requirePage(ctx, sessions, request, reply);
    if (!signed) return reply;
    return listPage(reply, signed);
  });

  app.get('/console/maintenances/:id', async (request, reply) => {
    const signed = await requirePage(ctx, sessions, request, reply);
    if (!signed) return reply;
    const id = parseInput(maintenanceParams, request.params).id;
    requireScope(signed.token, 'write');
    const stored = await storedMaintenance(ctx, signed.token, id);
    return editPage(reply, signed, { editing: id, values: formValues(maintenanceToInput(stored)) });
  });

  app.post('/console/maintenances', async (request, reply) => {
    const signed = await requireAction(ctx, sessions, request, reply);
    requireScope(signed.token, 'write');
    const values = formFields(request);
    try {
      const input = maintenanceInput(values);
      const parsed = maintenanceSchema.safeParse(input);
      if (!parsed.success) throw validationError(parsed.error, input);
      await createMaintenance(ctx, signed.token, parsed.data);
    } catch (error) {
      if (!isVigilError(error)) throw error;
      return listPage(reply, signed, { values, error: error.message }, httpStatusOf(error.code));
    }
    return reply.code(303).header('location', '/console/maintenances').send();
  });

  app.post('/console/maintenances/:id', async (request, reply) => {
    const signed = await requireAction(ctx, sessions, request, reply);
    const id = parseInput(maintenanceParams, request.params).id;
    requireScope(signed.token, 'write');
    // An edit changes a maintenance the identity may change; it never creates one (the API's PUT may).
    await storedMaintenance(ctx, signed.token, id);
    const values = formFields(request);
    try {
      const { id: _ignored, ...input } = maintenanceInput(values);
      await putMaintenance(ctx, signed.token, id, input);
    } catch (error) {
      if (!isVigilError(error) || error.code === 'NOT_FOUND') throw error;
      return editPage(reply, signed, { editing: id, values, error: error.message }, httpStatusOf(error.code));
    }
    return reply.code(303).header('location', '/console/maintenances').send();
  });

  app.post('/console/maintenances/:id/cancel', async (request, reply) => {
    const signed = await requireAction(ctx, sessions, request, reply);
    const id = parseInput(maintenanceParams, request.params).id;
    requireScope(signed.token, 'write');
    await cancelMaintenance(ctx, signed.token, id);
    return reply.code(303).header('location', '/console/maintenances').send();
  });
}
