import {
  type ApiToken,
  INCIDENT_STATUSES,
  type Incident,
  MAX_POSTMORTEM_BYTES,
  mayPublish,
  VigilError,
} from '@vigil/core';
import { z } from 'zod';
import type { WebContext } from '../../context.js';
import { renderMarkdown } from '../../status/markdown.js';
import { incidentFilter, tenant, visibleIncident } from '../ownership.js';
import { type Route, route } from '../route.js';

const idParams = z.strictObject({ id: z.string().regex(/^[0-9]{1,12}$/, { error: 'expected an incident number' }) });

const listQuery = z.strictObject({
  status: z.enum(['open', 'resolved', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

/** Incidents a non-admin list looks through: the newest this many. */
const SCAN_LIMIT = 1_000;

const message = z.string().trim().min(1, { error: 'expected some text' }).max(5_000);
/**
 * Who acts is the authenticated identity, never free text: a `by` in a body is refused (400 naming
 * it) rather than ignored, so a client that thinks it names someone learns it does not.
 */
const by = z.never({
  error: 'not accepted: actions are recorded under the authenticated identity (the token’s owner and name)',
});

/** The body of an update: a status and a message (the console's form parses with it too). */
export const updateBody = z.strictObject({ status: z.enum(INCIDENT_STATUSES), message, by: by.optional() });
/** The body of a status change: the status, and a message or Vigil's wording. */
export const statusBody = z.strictObject({
  status: z.enum(INCIDENT_STATUSES),
  message: message.optional(),
  by: by.optional(),
});
const ackBody = z.strictObject({ by: by.optional() }).optional();
const resolveBody = z.strictObject({ by: by.optional(), message: message.optional() }).optional();

/** The body of a postmortem: its Markdown. */
export const postmortemBody = z.strictObject({
  markdown: z
    .string()
    .max(MAX_POSTMORTEM_BYTES, { abort: true })
    .refine((text) => text.trim() !== '', { error: 'expected some text' })
    .refine((text) => Buffer.byteLength(text, 'utf8') <= MAX_POSTMORTEM_BYTES, {
      error: `expected at most ${MAX_POSTMORTEM_BYTES} bytes of UTF-8`,
    }),
  by: by.optional(),
});

/** Who an action is recorded as: the authenticated identity, the token's owner and name, and where from. */
function actor(token: ApiToken, via?: string): string {
  return `${token.owner} (${token.name})${via ? ` via ${via}` : ''}`;
}

/** Where an action comes from: the API (unsaid) or the console, which records `via console`. */
export interface ActionOrigin {
  via?: 'console';
}

/** Acknowledge an incident the token may see: the one use case behind the API's and the console's button. */
export async function acknowledgeIncident(ctx: WebContext, token: ApiToken, id: string, origin: ActionOrigin = {}) {
  await visibleIncident(ctx, token, id);
  const outcome = await ctx.incidents.acknowledge(id, actor(token, origin.via), ctx.clock.now());
  return { outcome, incident: await ctx.incidents.get(id) };
}

/** Resolve by hand an incident the token may see; a message is publishing when the public sees the incident. */
export async function resolveIncident(
  ctx: WebContext,
  token: ApiToken,
  id: string,
  options: ActionOrigin & { message?: string | undefined } = {},
) {
  await visibleIncident(ctx, token, id);
  await requirePublicMessage(ctx, token, id, options.message);
  const who = actor(token, options.via);
  const outcome = await ctx.incidents.resolve(id, who, ctx.clock.now(), options.message ?? `Resolved by ${who}.`);
  return { outcome, incident: await ctx.incidents.get(id) };
}

/** Whether the token may show things on the status page: an admin, or an owner with a `publish` grant. */
function mayPublishWith(ctx: WebContext, token: ApiToken): boolean {
  return tenant(token) === undefined || mayPublish(ctx.config, token.owner);
}

/** The 403 naming `field` for a token that may not publish. */
function publishRefusal(token: ApiToken, field: 'public' | 'message'): VigilError {
  const what =
    field === 'public' ? 'publishing on the status page needs' : 'is shown on the status page; writing one needs';
  const message = `${what} an admin token or a grant with publish: true for owner ${token.owner}`;
  return new VigilError('FORBIDDEN', `${field}: ${message}`, [{ path: field, message }]);
}

/** Postmortems are published on the status page: an admin right or a `publish` grant. */
function requirePublish(ctx: WebContext, token: ApiToken): void {
  if (!mayPublishWith(ctx, token)) throw publishRefusal(token, 'public');
}

/**
 * A free-text message on an incident the status page shows is shown there word for word, so writing
 * one is publishing: an admin right or a `publish` grant. Without it a tenant still acknowledges,
 * changes the status and resolves, with the wording Vigil writes; on an incident the public never
 * sees, its messages are its own business.
 */
async function requirePublicMessage(
  ctx: WebContext,
  token: ApiToken,
  incidentId: string,
  message: string | undefined,
): Promise<void> {
  if (message === undefined || mayPublishWith(ctx, token)) return;
  if (await ctx.publicStatus.incident(incidentId)) throw publishRefusal(token, 'message');
}

async function listIncidents(ctx: WebContext, token: ApiToken, query: z.output<typeof listQuery>) {
  const visible = await incidentFilter(ctx, token);
  const pool =
    query.status === 'open' ? await ctx.incidents.listOpen() : await ctx.incidents.list({ limit: SCAN_LIMIT });
  const matching = pool.filter(
    (incident) =>
      visible(incident) &&
      (query.status !== 'resolved' || incident.status === 'resolved') &&
      (query.status !== 'open' || incident.status !== 'resolved'),
  );
  return { items: matching.slice(query.offset, query.offset + query.limit), total: matching.length };
}

async function changeStatus(
  ctx: WebContext,
  incident: Incident,
  change: { by: string; status: Incident['status']; message: string },
): Promise<Incident> {
  const now = ctx.clock.now();
  if (incident.status === 'resolved' && change.status !== 'resolved') {
    throw new VigilError('CONFLICT', `incident ${incident.id} is resolved; a new failure opens a new episode`, [
      { path: 'status', message: 'the incident is resolved' },
    ]);
  }
  if (change.status === 'resolved') await ctx.incidents.resolve(incident.id, change.by, now, change.message);
  else await ctx.incidents.addUpdate(incident.id, change, now);
  return (await ctx.incidents.get(incident.id)) ?? incident;
}

/** Post an update (a status and a message) on an incident the token may see: the API's and the console's form. */
export async function postIncidentUpdate(
  ctx: WebContext,
  token: ApiToken,
  id: string,
  update: ActionOrigin & { status: Incident['status']; message: string },
): Promise<Incident> {
  const incident = await visibleIncident(ctx, token, id);
  await requirePublicMessage(ctx, token, id, update.message);
  return changeStatus(ctx, incident, { status: update.status, message: update.message, by: actor(token, update.via) });
}

/** Change the status of an incident the token may see, with its message or Vigil's wording. */
export async function changeIncidentStatus(
  ctx: WebContext,
  token: ApiToken,
  id: string,
  change: ActionOrigin & { status: Incident['status']; message?: string | undefined },
): Promise<Incident> {
  const incident = await visibleIncident(ctx, token, id);
  await requirePublicMessage(ctx, token, id, change.message);
  const message = change.message ?? `Status changed to ${change.status}.`;
  return changeStatus(ctx, incident, { status: change.status, message, by: actor(token, change.via) });
}

/** A postmortem as the API and the console show it: the stored one, and its Markdown rendered to safe HTML. */
export type PostmortemShown = Awaited<ReturnType<WebContext['incidents']['setPostmortem']>> & { html: string };

/** Publish or revise the postmortem of a resolved incident the token may see; publishing needs the right to. */
export async function writePostmortem(
  ctx: WebContext,
  token: ApiToken,
  id: string,
  input: ActionOrigin & { markdown: string },
): Promise<PostmortemShown> {
  await visibleIncident(ctx, token, id);
  requirePublish(ctx, token);
  const postmortem = { markdown: input.markdown, by: actor(token, input.via) };
  return postmortemView(await ctx.incidents.setPostmortem(id, postmortem, ctx.clock.now()));
}

function noPostmortem(id: string): VigilError {
  return new VigilError('NOT_FOUND', `incident ${id} has no postmortem`, [
    { path: 'id', message: 'the incident has no postmortem' },
  ]);
}

/** A postmortem as the API shows it: its Markdown, and that Markdown rendered to HTML safe to embed. */
export function postmortemView<P extends { markdown: string }>(postmortem: P) {
  return { ...postmortem, html: renderMarkdown(postmortem.markdown) };
}

/** Publish, read and withdraw the Markdown postmortem of an incident the token may see. */
function postmortemRoutes(ctx: WebContext): Route[] {
  const url = '/api/v1/incidents/:id/postmortem';
  return [
    route({
      method: 'PUT',
      url,
      summary: 'Publish or revise the postmortem (Markdown) of a resolved incident',
      tag: 'incidents',
      access: 'write',
      params: idParams,
      body: postmortemBody,
      handler: ({ params, body, token }) => writePostmortem(ctx, token, params.id, { markdown: body.markdown }),
    }),
    route({
      method: 'GET',
      url,
      summary: 'The postmortem: its Markdown, and that Markdown rendered to safe HTML',
      tag: 'incidents',
      access: 'read',
      params: idParams,
      async handler({ params, token }) {
        await visibleIncident(ctx, token, params.id);
        const postmortem = await ctx.incidents.getPostmortem(params.id);
        if (!postmortem) throw noPostmortem(params.id);
        return postmortemView(postmortem);
      },
    }),
    route({
      method: 'DELETE',
      url,
      summary: 'Withdraw the postmortem',
      tag: 'incidents',
      access: 'write',
      params: idParams,
      status: 204,
      async handler({ params, token, reply }) {
        await visibleIncident(ctx, token, params.id);
        requirePublish(ctx, token);
        const deleted = await ctx.incidents.deletePostmortem(params.id, actor(token), ctx.clock.now());
        if (!deleted) throw noPostmortem(params.id);
        return reply.code(204).send();
      },
    }),
  ];
}

export function incidentRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/incidents',
      summary: 'Incidents, newest first: open (default), resolved or all',
      tag: 'incidents',
      access: 'read',
      query: listQuery,
      handler: ({ query, token }) => listIncidents(ctx, token, query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/incidents/:id',
      summary: 'One incident with its checks, downtime bounds and timeline',
      tag: 'incidents',
      access: 'read',
      params: idParams,
      handler: ({ params, token }) => visibleIncident(ctx, token, params.id),
    }),
    route({
      method: 'POST',
      url: '/api/v1/incidents/:id/ack',
      summary: 'Acknowledge: stops escalation (the first acknowledgement wins)',
      tag: 'incidents',
      access: 'write',
      params: idParams,
      body: ackBody,
      handler: ({ params, token }) => acknowledgeIncident(ctx, token, params.id),
    }),
    route({
      method: 'POST',
      url: '/api/v1/incidents/:id/updates',
      summary: 'Add a timeline entry and set the status (shown on the status page)',
      tag: 'incidents',
      access: 'write',
      params: idParams,
      body: updateBody,
      status: 201,
      handler: ({ params, body, token }) =>
        postIncidentUpdate(ctx, token, params.id, { status: body.status, message: body.message }),
    }),
    route({
      method: 'PATCH',
      url: '/api/v1/incidents/:id',
      summary: 'Change the status (identified, monitoring, …), with an optional message',
      tag: 'incidents',
      access: 'write',
      params: idParams,
      body: statusBody,
      handler: ({ params, body, token }) =>
        changeIncidentStatus(ctx, token, params.id, { status: body.status, message: body.message }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/incidents/:id/resolve',
      summary: 'Resolve by hand; every destination paged gets a resolve',
      tag: 'incidents',
      access: 'write',
      params: idParams,
      body: resolveBody,
      handler: ({ params, body, token }) => resolveIncident(ctx, token, params.id, { message: body?.message }),
    }),
    ...postmortemRoutes(ctx),
  ];
}
