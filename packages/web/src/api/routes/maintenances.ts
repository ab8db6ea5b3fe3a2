import {
  type ApiToken,
  type Maintenance,
  maintenanceSchema,
  maintenanceWindowAt,
  namesCheck,
  slugSchema,
  upcomingWindows,
  VigilError,
  validationError,
} from '@vigil/core';
import { z } from 'zod';
import type { WebContext } from '../../context.js';
import { hasScope } from '../auth.js';
import { type Route, route } from '../route.js';

const idParams = z.strictObject({ id: slugSchema });
const listQuery = z.strictObject({ active: z.enum(['true', 'false']).optional() });
const NEXT_HORIZON_MS = 90 * 86_400_000;

/** A maintenance as the API shows it: where it was declared, and its current and next window. */
export type MaintenanceView = Maintenance & {
  source: 'config' | 'api';
  active: boolean;
  window: { start: number; end: number } | null;
  next: { start: number; end: number } | null;
};

function view(ctx: WebContext, stored: Maintenance, source: 'config' | 'api'): MaintenanceView {
  const { owners: _owners, ...maintenance } = stored;
  const now = ctx.clock.now();
  const current = maintenanceWindowAt(maintenance, now);
  const [next] = upcomingWindows([maintenance], current ? current.end : now, NEXT_HORIZON_MS);
  return {
    ...maintenance,
    source,
    active: current !== undefined,
    window: current ?? null,
    next: next ? { start: next.start, end: next.end } : null,
  };
}

/**
 * The checks of `m` that are the token owner's: those recorded as theirs when it was stored (still
 * theirs after they deleted one, never the next owner's of a reused id), or, for maintenances stored
 * before owners were recorded, those they own now.
 */
async function ownChecks(ctx: WebContext, token: ApiToken): Promise<(m: Maintenance) => string[]> {
  const owned = new Set(await ctx.redis.smembers(ctx.keys.checksOfOwner(token.owner)));
  return (m) => m.checks.filter((id) => (m.owners === undefined ? owned.has(id) : namesCheck(m, id, token.owner)));
}

/** Admins may cover anything; others only checks their owner registered (never whole components). */
async function manageable(ctx: WebContext, token: ApiToken, maintenance: Maintenance): Promise<boolean> {
  if (hasScope(token, 'admin')) return true;
  if (maintenance.components.length > 0) return false;
  const own = (await ownChecks(ctx, token))(maintenance);
  return own.length === maintenance.checks.length;
}

/**
 * What a token may see of a maintenance: admins all of it; others a window over components (those
 * are public), or over some of their own checks, listing only theirs. Anything else is not shown.
 */
async function shownTo(ctx: WebContext, token: ApiToken): Promise<(m: Maintenance) => Maintenance[]> {
  if (hasScope(token, 'admin')) return (m) => [m];
  const own = await ownChecks(ctx, token);
  return (m) => {
    const checks = own(m);
    return m.components.length > 0 || checks.length > 0 ? [{ ...m, checks }] : [];
  };
}

function notFound(id: string): VigilError {
  return new VigilError('NOT_FOUND', `no maintenance ${id}`, [{ path: 'id', message: 'no such maintenance' }]);
}

/**
 * A maintenance the caller may write: references exist, and the token may silence what it covers.
 * Returns it with the owner of each named check recorded, as it is to be stored.
 */
async function admit(ctx: WebContext, token: ApiToken, maintenance: Maintenance): Promise<Maintenance> {
  if (ctx.config.maintenances.some((m) => m.id === maintenance.id)) {
    throw new VigilError('CONFLICT', `maintenance ${maintenance.id} is declared in vigil.yaml; change it there`, [
      { path: 'id', message: 'declared in vigil.yaml' },
    ]);
  }
  const issues = [];
  const checks = await Promise.all(maintenance.checks.map((id) => ctx.checks.get(id)));
  const owners: Record<string, string> = {};
  for (const check of checks) if (check?.owner !== undefined) owners[check.id] = check.owner;
  for (const [i, id] of maintenance.checks.entries()) {
    const check = checks[i];
    if (!check || (!hasScope(token, 'admin') && check.owner !== token.owner)) {
      issues.push({
        path: `checks[${i}]`,
        message: 'expected the id of a check you can see',
        received: JSON.stringify(id),
      });
    }
  }
  for (const [i, id] of maintenance.components.entries()) {
    if (!ctx.config.components.some((component) => component.id === id)) {
      issues.push({
        path: `components[${i}]`,
        message: 'expected the id of a declared component',
        received: JSON.stringify(id),
      });
    }
  }
  if (issues.length > 0)
    throw new VigilError('VALIDATION', issues.map((i) => `${i.path}: ${i.message}`).join('\n'), issues);
  const stored = maintenance.checks.length > 0 ? { ...maintenance, owners } : maintenance;
  if (!(await manageable(ctx, token, stored))) {
    throw new VigilError('FORBIDDEN', 'components: only an admin token may put whole components under maintenance', [
      { path: 'components', message: 'needs an admin token' },
    ]);
  }
  return stored;
}

/** A maintenance stored through the API that the token may change; 404 otherwise. */
export async function storedMaintenance(ctx: WebContext, token: ApiToken, id: string): Promise<Maintenance> {
  const maintenance = await ctx.maintenances.get(id);
  if (!maintenance || !(await manageable(ctx, token, maintenance))) throw notFound(id);
  return maintenance;
}

/** Maintenances the token may see, from vigil.yaml and the API, with their current and next window. */
export async function listMaintenances(
  ctx: WebContext,
  token: ApiToken,
  query: { active?: 'true' | 'false' | undefined },
): Promise<{ items: MaintenanceView[] }> {
  const shown = await shownTo(ctx, token);
  const items = [
    ...ctx.config.maintenances.flatMap((m) => shown(m).map((visible) => view(ctx, visible, 'config'))),
    ...(await ctx.maintenances.list()).flatMap((m) => shown(m).map((visible) => view(ctx, visible, 'api'))),
  ].filter((m) => query.active === undefined || String(m.active) === query.active);
  return { items };
}

/** Schedule a maintenance the token may: the API's POST and the console's form. */
export async function createMaintenance(
  ctx: WebContext,
  token: ApiToken,
  maintenance: Maintenance,
): Promise<MaintenanceView> {
  const stored = await admit(ctx, token, maintenance);
  await ctx.maintenances.create(stored);
  return view(ctx, stored, 'api');
}

/** Create or replace a maintenance from an unparsed body: the same field paths (`checks[0]`) as a POST gets. */
export async function putMaintenance(
  ctx: WebContext,
  token: ApiToken,
  id: string,
  body: Record<string, unknown>,
): Promise<{ outcome: 'created' | 'updated' | 'unchanged'; maintenance: MaintenanceView }> {
  if (body.id !== undefined && body.id !== id) {
    throw new VigilError('VALIDATION', `id: expected ${id}, the id in the URL`, [
      { path: 'id', message: `expected ${id}, the id in the URL`, received: JSON.stringify(body.id) },
    ]);
  }
  const input = { ...body, id };
  const parsed = maintenanceSchema.safeParse(input);
  if (!parsed.success) throw validationError(parsed.error, input);
  const existing = await ctx.maintenances.get(id);
  if (existing && !(await manageable(ctx, token, existing))) throw notFound(id);
  const stored = await admit(ctx, token, parsed.data);
  const outcome = await ctx.maintenances.put(stored);
  return { outcome, maintenance: view(ctx, stored, 'api') };
}

/** Cancel a maintenance created through the API that the token may change. */
export async function cancelMaintenance(ctx: WebContext, token: ApiToken, id: string): Promise<void> {
  if (ctx.config.maintenances.some((m) => m.id === id)) {
    throw new VigilError('CONFLICT', `maintenance ${id} is declared in vigil.yaml; remove it there`, [
      { path: 'id', message: 'declared in vigil.yaml' },
    ]);
  }
  await storedMaintenance(ctx, token, id);
  await ctx.maintenances.delete(id);
}

export function maintenanceRoutes(ctx: WebContext): Route[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/maintenances',
      summary: 'Maintenance windows from vigil.yaml and the API, with the current and next window',
      tag: 'maintenances',
      access: 'read',
      query: listQuery,
      handler: ({ query, token }) => listMaintenances(ctx, token, query),
    }),
    route({
      method: 'GET',
      url: '/api/v1/maintenances/:id',
      summary: 'One maintenance',
      tag: 'maintenances',
      access: 'read',
      params: idParams,
      async handler({ params, token }) {
        const shown = await shownTo(ctx, token);
        const declared = ctx.config.maintenances.find((m) => m.id === params.id);
        const maintenance = declared ?? (await ctx.maintenances.get(params.id));
        const [visible] = maintenance ? shown(maintenance) : [];
        if (!visible) throw notFound(params.id);
        return view(ctx, visible, declared ? 'config' : 'api');
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/maintenances',
      summary: 'Schedule a maintenance: failures of what it covers page nobody while it lasts',
      tag: 'maintenances',
      access: 'write',
      body: maintenanceSchema,
      status: 201,
      handler: ({ body, token }) => createMaintenance(ctx, token, body),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/maintenances/:id',
      summary: 'Create or replace a maintenance',
      tag: 'maintenances',
      access: 'write',
      params: idParams,
      body: z.record(z.string(), z.unknown(), { error: 'expected a maintenance object' }),
      async handler({ params, body, token, reply }) {
        const { outcome, maintenance } = await putMaintenance(ctx, token, params.id, body);
        // Sent here: the route's own status (200, for a replace) would otherwise overwrite the 201.
        return reply.code(outcome === 'created' ? 201 : 200).send(maintenance);
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/maintenances/:id',
      summary: 'Cancel a maintenance (created through the API)',
      tag: 'maintenances',
      access: 'write',
      params: idParams,
      status: 204,
      async handler({ params, token, reply }) {
        await cancelMaintenance(ctx, token, params.id);
        return reply.code(204).send();
      },
    }),
  ];
}
