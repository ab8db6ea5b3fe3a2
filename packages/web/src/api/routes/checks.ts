import {
  type ApiToken,
  CHECK_LIST_STATES,
  type Check,
  checkInputSchema,
  checkToInput,
  isProbed,
  readAddressReport,
  readUptime,
  slugSchema,
  VigilError,
  validationError,
} from '@vigil/core';
import { z } from 'zod';
import type { WebContext } from '../../context.js';
import { hasScope } from '../auth.js';
import { sortedCheckIds } from '../check-ids.js';
import { admitCheck } from '../check-policy.js';
import { checkView } from '../check-view.js';
import { latencyQuery, readLatencyChart } from '../latency-chart.js';
import { canSee, changeableCheck, noSuchCheck, refuseDeclared, visibleCheck } from '../ownership.js';
import { type Route, route } from '../route.js';

const idParams = z.strictObject({ id: slugSchema });

export const listQuery = z.strictObject({
  component: slugSchema.optional(),
  tag: z.string().min(1).max(64).optional(),
  state: z.enum(CHECK_LIST_STATES).optional(),
  /** Matches the id or the name, case-insensitively. */
  q: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** The last id of the previous page. */
  cursor: slugSchema.optional(),
});

const resultsQuery = z.strictObject({
  vantage: slugSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /**
   * `true`: the newest result of each vantage with all it carries (phase timings, address, a DNS
   * answer), which history leaves out — where vantages told different things shows.
   */
  latest: z.enum(['true', 'false']).optional(),
});

/** A JSON merge patch (RFC 7396) of a check's input form; `null` removes a field. */
const patchBody = z.record(z.string(), z.unknown(), { error: 'expected a JSON object of the fields to change' });

async function statesOf(ctx: WebContext, ids: readonly string[]): Promise<(string | undefined)[]> {
  if (ids.length === 0) return [];
  const pipeline = ctx.redis.pipeline();
  for (const id of ids) pipeline.hget(ctx.keys.checkState(id), 'state');
  return ((await pipeline.exec()) ?? []).map(([, state]) => (typeof state === 'string' ? state : undefined));
}

/** A check as the API shows it: its decided state and, with `allAddresses`, each address's. */
export async function readCheckView(ctx: WebContext, check: Check) {
  const [state] = await statesOf(ctx, [check.id]);
  return checkView(check, state, await readAddressReport(ctx, check.id));
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

function parseCheck(data: unknown) {
  const parsed = checkInputSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw validationError(parsed.error, data);
}

/**
 * One page of the checks a token sees. Without filters only the page's checks are read; filters
 * on what a check holds read the candidates, and a state filter reads their states (one pipeline).
 */
export async function listChecks(ctx: WebContext, token: ApiToken, query: z.output<typeof listQuery>) {
  let ids = await sortedCheckIds(ctx, hasScope(token, 'admin') ? undefined : token.owner);
  const loaded = new Map<string, Check>();
  const needle = query.q?.toLowerCase();
  if (query.component !== undefined || query.tag !== undefined || needle !== undefined || query.state !== undefined) {
    const checks = (await ctx.checks.getMany(ids)).filter((check): check is Check => check !== undefined);
    const states =
      query.state === undefined
        ? []
        : await statesOf(
            ctx,
            checks.map((check) => check.id),
          );
    ids = checks
      .filter(
        (check, i) =>
          (query.component === undefined || check.component === query.component) &&
          (query.tag === undefined || check.tags.includes(query.tag)) &&
          (needle === undefined || check.id.includes(needle) || check.name.toLowerCase().includes(needle)) &&
          (query.state === undefined || (check.paused ? 'paused' : (states[i] ?? 'new')) === query.state),
      )
      .map((check) => {
        loaded.set(check.id, check);
        return check.id;
      });
  }
  const start = query.cursor === undefined ? 0 : ids.findIndex((id) => id > (query.cursor ?? ''));
  const pageIds = start < 0 ? [] : ids.slice(start, start + query.limit);
  const missing = pageIds.filter((id) => !loaded.has(id));
  for (const check of await ctx.checks.getMany(missing)) if (check) loaded.set(check.id, check);
  const page = pageIds.map((id) => loaded.get(id)).filter((check): check is Check => check !== undefined);
  const states = await statesOf(
    ctx,
    page.map((check) => check.id),
  );
  const last = pageIds.at(-1);
  return {
    items: page.map((check, i) => checkView(check, states[i])),
    nextCursor: last !== undefined && ids.at(-1) !== last ? last : null,
    total: ids.length,
  };
}

/** Stores a new version of a check the caller may see, keeping its owner. */
async function replace(ctx: WebContext, token: ApiToken, current: Check, data: unknown) {
  const check = admitCheck(ctx, parseCheck(data), token, current.owner);
  await ctx.checks.put(check);
  // A heartbeat turned into a probed check: its ping token must stop working.
  if (isProbed(check) && !isProbed(current)) await ctx.heartbeats.forget(check.id);
  return readCheckView(ctx, check);
}

/** A PUT body with the URL's id: a different id in the body is refused, naming the field. */
function withUrlId(id: string, body: Record<string, unknown>): Record<string, unknown> {
  if (body.id !== undefined && body.id !== id) {
    throw new VigilError('VALIDATION', `id: expected ${id}, the id in the URL`, [
      { path: 'id', message: `expected ${id}, the id in the URL`, received: JSON.stringify(body.id) },
    ]);
  }
  return { ...body, id };
}

/**
 * `PUT /api/v1/checks/:id` on a check that exists and the caller may see (the console's edit form
 * too): the body (the fields of a check in vigil.yaml) replaces it under the API's rules, its id
 * and owner kept; a check declared in the server's vigil.yaml is refused.
 */
export async function replaceCheck(ctx: WebContext, token: ApiToken, current: Check, body: Record<string, unknown>) {
  const data = withUrlId(current.id, body);
  refuseDeclared(ctx, current);
  return replace(ctx, token, current, data);
}

/** Pause or resume a check the token may change (write scope checked by the caller). */
export async function setCheckPaused(ctx: WebContext, token: ApiToken, id: string, paused: boolean) {
  await changeableCheck(ctx, token, id);
  return readCheckView(ctx, await ctx.checks.setPaused(id, paused));
}

/** Remove a check the token may change (write scope checked by the caller): its probes stop within a scheduler tick. */
export async function deleteCheck(ctx: WebContext, token: ApiToken, id: string): Promise<void> {
  await changeableCheck(ctx, token, id);
  await ctx.checks.delete(id);
  await ctx.heartbeats.forget(id);
}

export function checkRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/checks',
      summary: 'List checks, filtered and a page at a time',
      tag: 'checks',
      access: 'read',
      query: listQuery,
      handler: ({ query, token }) => listChecks(ctx, token, query),
    }),
    route({
      method: 'POST',
      url: '/api/v1/checks',
      summary: 'Register a check (the same fields as a check in vigil.yaml)',
      tag: 'checks',
      access: 'write',
      body: checkInputSchema,
      status: 201,
      async handler({ body, token }) {
        const check = admitCheck(ctx, body, token, token.owner);
        await ctx.checks.createOwned({ ...check, owner: token.owner }, token.quota.checks);
        return readCheckView(ctx, check);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/checks/:id',
      summary: 'One check, with its decided state',
      tag: 'checks',
      access: 'read',
      params: idParams,
      async handler({ params, token }) {
        return readCheckView(ctx, await visibleCheck(ctx, token, params.id));
      },
    }),
    route({
      method: 'PUT',
      url: '/api/v1/checks/:id',
      summary: 'Create or replace a check (what `vigil apply` sends)',
      tag: 'checks',
      access: 'write',
      params: idParams,
      body: z.record(z.string(), z.unknown(), { error: 'expected a check object' }),
      async handler({ params, body, token, reply }) {
        const data = withUrlId(params.id, body);
        const current = await ctx.checks.get(params.id);
        // Another owner's check answers the 404 of a missing one: no oracle for which ids exist.
        if (current && !canSee(token, current)) throw noSuchCheck(params.id);
        if (current) return replaceCheck(ctx, token, current, body);
        const check = admitCheck(ctx, parseCheck(data), token, token.owner);
        await ctx.checks.createOwned({ ...check, owner: token.owner }, token.quota.checks);
        // Sent here: the route's own status (200, for a replace) would otherwise overwrite the 201.
        return reply.code(201).send(await readCheckView(ctx, check));
      },
    }),
    route({
      method: 'PATCH',
      url: '/api/v1/checks/:id',
      summary:
        'Change some fields of a check (JSON merge patch, application/merge-patch+json or application/json; null removes a field)',
      tag: 'checks',
      access: 'write',
      params: idParams,
      body: patchBody,
      async handler({ params, body, token }) {
        const current = await changeableCheck(ctx, token, params.id);
        if (body.id !== undefined && body.id !== params.id) {
          throw new VigilError('VALIDATION', 'id: cannot be changed; create a new check instead', [
            { path: 'id', message: 'cannot be changed; create a new check instead' },
          ]);
        }
        return replace(ctx, token, current, mergePatch(checkToInput(current), body));
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/checks/:id',
      summary: 'Remove a check: its probes stop within a scheduler tick',
      tag: 'checks',
      access: 'write',
      params: idParams,
      status: 204,
      async handler({ params, token, reply }) {
        await deleteCheck(ctx, token, params.id);
        return reply.code(204).send();
      },
    }),
    ...(['pause', 'resume'] as const).map((action) =>
      route({
        method: 'POST',
        url: `/api/v1/checks/:id/${action}`,
        summary: action === 'pause' ? 'Stop probing a check (no alerts while paused)' : 'Probe a paused check again',
        tag: 'checks',
        access: 'write',
        params: idParams,
        async handler({ params, token }) {
          return setCheckPaused(ctx, token, params.id, action === 'pause');
        },
      }),
    ),
    route({
      method: 'GET',
      url: '/api/v1/checks/:id/results',
      summary: 'Recent probe results, newest first, from every vantage or one',
      tag: 'checks',
      access: 'read',
      params: idParams,
      query: resultsQuery,
      async handler({ params, query, token }) {
        await visibleCheck(ctx, token, params.id);
        if (query.latest === 'true') {
          const latest = Object.values(await ctx.results.latest(params.id));
          const items = latest.filter((result) => query.vantage === undefined || result.vantage === query.vantage);
          return { items: items.sort((a, b) => b.round - a.round || a.vantage.localeCompare(b.vantage)) };
        }
        const options = { limit: query.limit, ...(query.vantage !== undefined && { vantage: query.vantage }) };
        return { items: await ctx.results.history(params.id, options) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/checks/:id/latency',
      summary:
        'Latency per vantage over 1 h (each result, phases as hour means, and the hour means before the oldest result history keeps), 24 h (hour means) or 7 d (six-hour means), with the DNS, connect, TLS and first-byte phases',
      tag: 'checks',
      access: 'read',
      params: idParams,
      query: latencyQuery,
      handler: ({ params, query, token }) => readLatencyChart(ctx, token, params.id, query.range),
    }),
    route({
      method: 'GET',
      url: '/api/v1/checks/:id/uptime',
      summary: 'Uptime over 24 h, 7 d, 30 d and 90 d, from the rounds the evaluator decided',
      tag: 'checks',
      access: 'read',
      params: idParams,
      async handler({ params, token }) {
        await visibleCheck(ctx, token, params.id);
        return readUptime(ctx, params.id, ctx.clock.now());
      },
    }),
  ];
}
